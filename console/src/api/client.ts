// The API client, typed from the API's own OpenAPI document (schema.d.ts is generated at build
// time: a contract change the console does not follow fails its build). Same origin: no CORS.
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type ApiError = Schemas["ErrorOut"];

export const api = createClient<paths>({ baseUrl: window.location.origin });

let bearer: () => Promise<string | null> = async () => null;

/** The session gives the client a fresh ID token for each request (refreshed when near expiry). */
export function setBearer(provider: () => Promise<string | null>): void {
  bearer = provider;
}

const authorize: Middleware = {
  async onRequest({ request }) {
    const token = await bearer();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
};
api.use(authorize);

/** A failed call's error body, thrown so TanStack Query sees it as an error. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError | undefined,
  ) {
    super(body?.error?.message ?? `HTTP ${status}`);
  }

  /** A 422's messages by the field they name ("email", "address.city"). */
  get fields(): Record<string, string> {
    const named: Record<string, string> = {};
    for (const field of this.body?.error?.fields ?? []) named[field.field] = field.message;
    return named;
  }
}

export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new ApiFailure(response.status, error as ApiError | undefined);
  return data as T;
}
