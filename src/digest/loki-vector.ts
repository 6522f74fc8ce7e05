// An instant metric query through the timeline's Loki client (the same access, headers and errors).
import { type LokiAccess, LokiError, lokiGet } from '../timeline/loki-source.js';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface VectorData {
  resultType?: string;
  result?: Array<{ metric?: Record<string, string>; value?: [number, string] }>;
}

/** The vector `query` evaluates to at `timeMs`. */
export async function queryVector(access: LokiAccess, query: string, timeMs: number): Promise<Sample[]> {
  const params = new URLSearchParams({ query, time: (BigInt(timeMs) * 1_000_000n).toString() });
  const data = await lokiGet<VectorData>(access, '/loki/api/v1/query', params);
  if (data.resultType !== 'vector') throw new LokiError(`Loki answered a ${data.resultType ?? 'missing'} result where a vector was expected`);
  return (data.result ?? []).map((r) => ({ labels: r.metric ?? {}, value: Number(r.value?.[1] ?? Number.NaN) }));
}
