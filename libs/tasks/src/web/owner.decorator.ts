import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ResolveCallerPipe, ResolveOwnerPipe } from './resolve-owner.pipe';

const HttpRequest = createParamDecorator((_data: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest());

/**
 * The owner of the request, as the module's `OwnerResolver` decides.
 * Every engine call is scoped by it: another owner's task is a 404.
 */
export const Owner = (): ParameterDecorator => HttpRequest(ResolveOwnerPipe);

/**
 * The request's `Caller` (owner and roles), as the module's `OwnerResolver`
 * decides: what the authorization reads (an `admin` sees every owner's tasks).
 */
export const RequestCaller = (): ParameterDecorator => HttpRequest(ResolveCallerPipe);
