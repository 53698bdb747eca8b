// The countries the API accepts (its CountryCode enum, generated from /openapi.json), named in
// the reader's language, Germany and its neighbours first as a German bookkeeper expects.
import { countryCodeValues } from "../api/schema";

const FIRST = ["DE", "AT", "CH"];

export function countryOptions(language: string): { value: string; label: string }[] {
  const names = new Intl.DisplayNames([language], { type: "region" });
  const named = (code: string) => {
    try {
      return names.of(code) ?? code;
    } catch {
      return code;
    }
  };
  const codes = countryCodeValues.filter((code) => code !== "");
  const rest = codes
    .filter((code) => !FIRST.includes(code))
    .map((code) => ({ value: code, label: named(code) }))
    .sort((a, b) => a.label.localeCompare(b.label, language));
  return [...FIRST.map((code) => ({ value: code, label: named(code) })), ...rest];
}
