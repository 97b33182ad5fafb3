import {
  Injectable,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Socket } from 'socket.io';
import type { OwnerRequest, OwnerResolver } from '../owner-resolver';
import { describeSchemeContract, handshake, startAuthApp } from '../testing/auth-app';

// The recipes of docs/security.md ("Your app's own authentication"), as a host app writes them.

const SECRET = 'the-host-apps-own-jwt-secret-0123456789';

/** The user a host's authentication puts on `request.user`. */
interface AppUser {
  id: string;
  roles: string[];
}

/** Stepwise reads the owner and roles from `request.user`, set by the app's guard. */
const userOwnerResolver: OwnerResolver = {
  resolve({ user }: OwnerRequest) {
    const appUser = user as AppUser | undefined;
    if (!appUser?.id) throw new UnauthorizedException();
    return { owner: appUser.id, roles: appUser.roles };
  },
};

/** A host's usual "public route" marker (Stepwise's dashboard is middleware: guards never see it). */
const IS_PUBLIC = 'isPublic';
export const Public = () => SetMetadata(IS_PUBLIC, true);

const isPublic = (reflector: Reflector, context: ExecutionContext) =>
  reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);

/** On Socket.IO messages: the handshake went through this same guard, which left its user on the request. */
const wsUserOf = (context: ExecutionContext) =>
  (context.switchToWs().getClient<Socket>().request as { user?: unknown }).user;

// ---------------------------------------------------------------- Passport (passport-jwt)

@Injectable()
class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: SECRET, algorithms: ['HS256'] });
  }

  validate(payload: { sub: string; roles?: string[] }): AppUser {
    return { id: payload.sub, roles: payload.roles ?? [] };
  }
}

@Injectable()
class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    if (isPublic(this.reflector, context)) return true;
    if (context.getType() === 'ws') return Boolean(wsUserOf(context));
    return super.canActivate(context);
  }
}

// ---------------------------------------------------------------- @nestjs/jwt (a plain guard)

@Injectable()
class BearerGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (isPublic(this.reflector, context)) return true;
    if (context.getType() === 'ws') return Boolean(wsUserOf(context));
    const request = context.switchToHttp().getRequest<Request & { user?: AppUser }>();
    const [scheme, token] = request.headers.authorization?.split(' ') ?? [];
    if (scheme !== 'Bearer' || !token) throw new UnauthorizedException();
    try {
      const payload = await this.jwt.verifyAsync<{ sub: string; roles?: string[] }>(token);
      request.user = { id: payload.sub, roles: payload.roles ?? [] };
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

const signer = new JwtService({ secret: SECRET });
const sign = (payload: object, options: object = {}) => signer.signAsync(payload, { expiresIn: '1h', ...options });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function credentials() {
  const alice = await sign({ sub: 'alice' });
  return {
    alice: bearer(alice),
    bob: bearer(await sign({ sub: 'bob' })),
    admin: bearer(await sign({ sub: 'root', roles: ['admin'] })),
    wrong: {
      expired: bearer(await sign({ sub: 'alice' }, { expiresIn: -60 })),
      'other secret': bearer(
        await new JwtService({ secret: 'another-secret-entirely-0123456789' }).signAsync({ sub: 'alice' }),
      ),
      malformed: bearer('nope'),
    },
    aliceAuth: { token: alice },
  };
}

describeSchemeContract(
  'the host app: Passport (passport-jwt) global guard, ownerResolver reading request.user',
  async () => ({
    api: await startAuthApp({ ownerResolver: userOwnerResolver }, undefined, {
      imports: [PassportModule],
      providers: [JwtStrategy, { provide: APP_GUARD, useClass: JwtAuthGuard }],
    }),
    ...(await credentials()),
  }),
);

describeSchemeContract('the host app: @nestjs/jwt in a global guard, ownerResolver reading request.user', async () => ({
  api: await startAuthApp({ ownerResolver: userOwnerResolver }, undefined, {
    imports: [JwtModule.register({ secret: SECRET })],
    providers: [{ provide: APP_GUARD, useClass: BearerGuard }],
  }),
  ...(await credentials()),
}));

describe("the host app's guards on the rest of Stepwise", () => {
  it("leave the dashboard's page and files public (middleware, before any guard), never its data", async () => {
    const api = await startAuthApp({ ownerResolver: userOwnerResolver }, undefined, {
      imports: [PassportModule],
      providers: [JwtStrategy, { provide: APP_GUARD, useClass: JwtAuthGuard }],
    });
    try {
      const page = await api.http().get('/dashboard');
      expect(page.status).toBe(200);
      const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
      expect(script).toBeDefined();
      expect((await api.http().get(script as string)).status).toBe(200);
      expect((await api.http().get('/tasks')).status).toBe(401);
      expect(
        (
          await api
            .http()
            .get('/tasks')
            .set(bearer(await sign({ sub: 'alice' })))
        ).status,
      ).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('refuse the Socket.IO handshake (403) when a guard answers false', async () => {
    @Injectable()
    class NoSocketsGuard implements CanActivate {
      canActivate(context: ExecutionContext): boolean {
        if (context.getType() === 'ws') return true;
        const request = context.switchToHttp().getRequest<{ url?: string; headers: Record<string, string> }>();
        return request.headers['x-let-me-in'] === 'yes';
      }
    }
    const api = await startAuthApp({}, undefined, { providers: [{ provide: APP_GUARD, useClass: NoSocketsGuard }] });
    try {
      expect((await api.http().get('/tasks')).status).toBe(403);
      expect((await api.http().get('/tasks').set('x-let-me-in', 'yes')).status).toBe(200);
      expect((await handshake(api.port, {})).refused).toMatchObject({ statusCode: 403 });
      expect((await handshake(api.port, { headers: { 'x-let-me-in': 'yes' } })).socket).toBeDefined();
    } finally {
      await api.close();
    }
  });
});
