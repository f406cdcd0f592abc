/**
 * Errors of the container runtime. Each message says what was wrong and how to fix it;
 * the agent maps them to ECS container `reason` strings.
 */

/**
 * The container definition (or image config) asks for something Berth cannot build a
 * container from: an unknown capability or ulimit, a user missing from the image, ...
 * Thrown before anything is created, so nothing needs cleaning up.
 */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/** A program the runtime needs is missing; the message names the Debian package. */
export class RuntimeUnavailableError extends Error {
  readonly package: string;
  constructor(what: string, pkg: string, detail = '') {
    super(`${what} is not available${detail ? ` (${detail})` : ''}: install the Debian package ${pkg} (apt-get install ${pkg})`);
    this.name = 'RuntimeUnavailableError';
    this.package = pkg;
  }
}

/** conmon or the OCI runtime refused to create or start the container; the message is theirs. */
export class ContainerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerStartError';
  }
}

/** An OCI runtime command (kill, exec, delete, state) failed. */
export class RuntimeCommandError extends Error {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(command: string, exitCode: number | null, stderr: string) {
    super(`${command} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${stderr.trim() || 'no message'}`);
    this.name = 'RuntimeCommandError';
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}
