/** A config the exporter cannot run with: every problem found, each located in the file. */

export interface ConfigProblem {
  /** config path such as `route.routes[1].drop[0].namespace`; empty for problems with the file as a whole */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** `config.yaml:12:18: route.routes[1].drop[0].namespace: invalid regular expression …` */
export function formatProblem(fileName: string, problem: ConfigProblem): string {
  const place = problem.line !== undefined ? `${fileName}:${problem.line}:${problem.column ?? 1}` : fileName;
  return problem.path === '' ? `${place}: ${problem.message}` : `${place}: ${problem.path}: ${problem.message}`;
}

export class ConfigError extends Error {
  constructor(
    readonly fileName: string,
    readonly problems: ConfigProblem[],
  ) {
    super(problems.map((problem) => formatProblem(fileName, problem)).join('\n'));
    this.name = 'ConfigError';
  }
}
