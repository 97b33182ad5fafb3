import type { StepContext } from './step-context';

/**
 * The input a task class's steps read (`ctx.input`), inferred from the
 * `StepContext<Input>` its step methods take: what `TaskSubmitter.submit`
 * accepts for that class. A class whose steps take no context accepts
 * `unknown`. Where the input schema transforms or defaults fields, this is
 * its output side: pass the type you submit explicitly
 * (`submit<MyInput>(...)`) when it differs.
 */
export type TaskInputOf<T> = {
  [K in keyof T]: T[K] extends (ctx: StepContext<infer I, never>, ...rest: never[]) => unknown ? I : never;
}[keyof T];
