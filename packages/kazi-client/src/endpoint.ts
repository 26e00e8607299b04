// How a route's zod schemas become a client method's types: path params,
// query and body are what the server parses (zod *input*: defaults may be
// left out), the result is what it answers (zod *output*).
import type { z } from "zod";

/** The schemas of one route, as `typeof` the server's zod objects. */
export interface RouteSchemas {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
}

export interface CallOptions {
  /** Sent as Idempotency-Key: reuse it when retrying the same create. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

// deno-lint-ignore ban-types
type Empty = {};
// An input part is optional when every field in it is optional.
type Part<K extends string, T> = Empty extends T ? { [P in K]?: T } : { [P in K]: T };

export type CallInput<R extends RouteSchemas> =
  & (R extends { params: infer P extends z.ZodType } ? Part<"params", z.input<P>> : Empty)
  & (R extends { query: infer Q extends z.ZodType } ? Part<"query", z.input<Q>> : Empty)
  & (R extends { body: infer B extends z.ZodType } ? Part<"body", z.input<B>> : Empty)
  & CallOptions;

export type CallOutput<R extends RouteSchemas> = z.output<R["response"]>;

/** A method whose input may be left out when nothing in it is required. */
export type ClientMethod<R extends RouteSchemas> = Empty extends CallInput<R>
  ? (input?: CallInput<R>) => Promise<CallOutput<R>>
  : (input: CallInput<R>) => Promise<CallOutput<R>>;

export type FunctionClient<Routes extends { [K in keyof Routes]: RouteSchemas }> = {
  readonly [K in keyof Routes]: ClientMethod<Routes[K]>;
};

/** Compile-time proof that two key sets are the same (fails the type check otherwise). */
export type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true
  : { missingOrExtra: [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] };
