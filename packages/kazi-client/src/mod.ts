// @kazi/client: typed calls to the Kazi edge functions.
export {
  type AdminRoutes,
  createKaziClient,
  type KaziClient,
  type KaziClientOptions,
  type OnboardingRoutes,
  type SupportRoutes,
} from "./client.ts";
export { isKaziApiError, KaziApiError, type KaziErrorCode, type KaziErrorEnvelope } from "./errors.ts";
export { type FunctionName, type HttpMethod, type RouteRef, ROUTES } from "./routes.ts";
export { sessionAccessToken, type SessionSource } from "./supabase.ts";
export type { CallInput, CallOptions, CallOutput, ClientMethod, FunctionClient, RouteSchemas } from "./endpoint.ts";
// The supabase-js Database type, for `createClient<Database>(…)` (PostgREST calls).
export type { Database, Json, Tables, TablesInsert, TablesUpdate } from "./database.types.ts";
