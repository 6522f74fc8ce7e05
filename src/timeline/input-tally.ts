/** Lines read and lines skipped, with the first skipped line's place, for the one warning at the end. */
export class InputTally {
  read = 0;
  skipped = 0;
  firstSkipped: string | undefined;

  skip(place: string, problem: string): void {
    this.skipped++;
    this.firstSkipped ??= `${place}: ${problem}`;
  }

  warning(): string | undefined {
    if (this.skipped === 0) return undefined;
    const lines = this.skipped === 1 ? 'line that is' : 'lines that are';
    return `skipped ${this.skipped} of ${this.read} ${lines} not event lines (first: ${this.firstSkipped})`;
  }
}
