/**
 * Bounded concurrency for many independent storage requests (one write per
 * partition, say): at most `limit` run at once, results in input order.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]!, index);
    }
  });
  await Promise.all(workers);
  return results;
}
