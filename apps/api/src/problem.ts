// The shape every failure of the API takes, over tRPC (`error.data`) and REST (the response body)
// alike. It imports nothing, so the SDK and the web UI's browser code can import it
// (`@studio/api/problem`) without pulling in server code.

/** What a caller is told when a request fails: `{ error, message, details }`. */
export interface Problem {
  /** Stable, snake_case: `invalid_input`, `conflict`, `forbidden`, `rate_limited`, `unauthenticated`, … */
  error: string;
  message: string;
  details: Record<string, unknown>;
}
