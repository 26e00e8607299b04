// Access tokens from a supabase-js session: the client then sends the signed-in
// user's JWT, refreshed by supabase-js as usual. Structural type, so the
// package does not pin a supabase-js version.
export interface SessionSource {
  auth: {
    getSession(): Promise<{ data: { session: { access_token: string } | null } }>;
  };
}

export function sessionAccessToken(supabase: SessionSource): () => Promise<string | null> {
  return async () => (await supabase.auth.getSession()).data.session?.access_token ?? null;
}
