// What every form does with a refused call: a 422's messages beside the fields they name, any
// other refusal (409, 403, 404, …) as one message above the form.
import type { UseFormReturnType } from "@mantine/form";

import { ApiFailure } from "../api/client";

/** Shows the failure on the form; answers the message for the form's alert (null when every
 *  message found its field). */
export function showFailure<V>(form: UseFormReturnType<V>, error: unknown): string | null {
  if (error instanceof ApiFailure && error.status === 422) {
    const fields = error.fields;
    const known = Object.keys(fields).filter((path) => path in flatten(form.getValues()));
    form.setErrors(Object.fromEntries(known.map((path) => [path, fields[path]])));
    const unplaced = Object.keys(fields).filter((path) => !known.includes(path));
    return unplaced.length ? unplaced.map((path) => `${path}: ${fields[path]}`).join(" · ") : null;
  }
  return error instanceof Error ? error.message : String(error);
}

/** {address: {city: ""}} -> {"address.city": ""}: the dotted paths the API's 422 names. */
function flatten(values: unknown, prefix = ""): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  if (values && typeof values === "object" && !Array.isArray(values)) {
    for (const [key, value] of Object.entries(values)) {
      const path = prefix ? `${prefix}.${key}` : key;
      flat[path] = value;
      Object.assign(flat, flatten(value, path));
    }
  }
  return flat;
}

/** A key per form opening: a double submit or a retried request creates one record. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
