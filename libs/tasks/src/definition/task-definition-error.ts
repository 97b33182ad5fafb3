/** A task declaration that cannot run; thrown at boot, naming the class. */
export class TaskDefinitionError extends Error {
  constructor(className: string, problem: string) {
    super(`Invalid task ${className}: ${problem}`);
    this.name = 'TaskDefinitionError';
  }
}
