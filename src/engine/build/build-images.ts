/**
 * The images a build runs on, read from Podman's build output: `STEP n/m: FROM <image> [AS <name>]`
 * and `--> [Using cache ]<id>` after each committed step (Podman prints 11 hex digits).
 */
export class BuildImages {
  private readonly from: string[] = [];
  private readonly stages = new Set<string>();
  private latest: string | null = null;

  /** Reads a chunk of output; true when it named an image. */
  follow(text: string): boolean {
    let named = false;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      const step = /^STEP \d+(?:\/\d+)?: FROM\s+(.*)$/i.exec(line);
      if (step) {
        const words = (step[1] ?? '').split(/\s+/).filter((word) => word !== '' && !word.startsWith('--'));
        const [image, as, stage] = words;
        if (as?.toLowerCase() === 'as' && stage) this.stages.add(stage.toLowerCase());
        if (image && image.toLowerCase() !== 'scratch' && !this.stages.has(image.toLowerCase())) {
          this.from.push(image);
          named = true;
        }
        continue;
      }
      const committed = /^--> (?:Using cache )?([0-9a-f]{11,64})$/.exec(line);
      if (committed?.[1]) {
        this.latest = committed[1];
        named = true;
      }
    }
    return named;
  }

  /** Images with a shell to start a helper from, best first: the latest committed step, then the FROM images. */
  candidates(): string[] {
    const all = [...(this.latest ? [this.latest] : []), ...[...this.from].reverse()];
    return [...new Set(all)];
  }
}
