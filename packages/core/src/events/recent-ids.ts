/** Bounded set of recently published event ids (insertion-ordered LRU) with their offsets. */
export class RecentIds {
  private ids = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  get(id: string): number | undefined {
    return this.ids.get(id);
  }

  add(id: string, offset: number): void {
    this.ids.set(id, offset);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value as string);
  }

  get size(): number {
    return this.ids.size;
  }
}
