// Decimal strings as the API carries them ("11.900000", "9.99"): read from what a person types in
// their locale's way ("11,90" or "1.234,50" in German, "1,234.50" in English) and shown in it,
// never through a binary floating-point number.
import { currencyDigits, intlLocale } from "../../format";

const PLAIN = /^-?[0-9]+(\.[0-9]+)?$/;

function decimalSeparator(locale: string): string {
  return new Intl.NumberFormat(intlLocale(locale)).formatToParts(1.5).find((part) => part.type === "decimal")?.value ?? ".";
}

/** What a person typed -> the API's decimal string ("1.234,5" -> "1234.5" in de), or null if it is none. */
export function parseDecimalInput(text: string, locale: string): string | null {
  let value = text.replace(/[\s\u00a0\u202f'%€$]/g, "");
  if (value.startsWith("+")) value = value.slice(1);
  const comma = value.lastIndexOf(",");
  const dot = value.lastIndexOf(".");
  if (comma >= 0 && dot >= 0) {
    // Both: the later one is the decimal separator, the other groups thousands.
    const [group, decimal] = comma > dot ? [".", ","] : [",", "."];
    value = value.split(group).join("");
    if (value.split(decimal).length > 2) return null;
    value = value.replace(decimal, ".");
  } else if (comma >= 0) {
    const grouped = /^-?[0-9]{1,3}(,[0-9]{3})+$/.test(value);
    if (decimalSeparator(locale) === "," || !grouped) {
      if (value.split(",").length > 2) return null;
      value = value.replace(",", ".");
    } else value = value.split(",").join("");
  } else if (value.split(".").length > 2) {
    // "1.234.567": dots that group thousands.
    if (!/^-?[0-9]{1,3}(\.[0-9]{3})+$/.test(value)) return null;
    value = value.split(".").join("");
  }
  return PLAIN.test(value) ? value : null;
}

function decimalsOf(decimal: string): number {
  return decimal.includes(".") ? decimal.split(".")[1]!.length : 0;
}

/** "11.900000" -> "11.90" (trailing zeros dropped down to minDigits). */
export function trimZeros(decimal: string, minDigits: number): string {
  if (!decimal.includes(".")) return minDigits > 0 ? `${decimal}.${"0".repeat(minDigits)}` : decimal;
  const [whole, digits] = decimal.split(".") as [string, string];
  let fraction = digits;
  while (fraction.length > minDigits && fraction.endsWith("0")) fraction = fraction.slice(0, -1);
  fraction = fraction.padEnd(minDigits, "0");
  return fraction ? `${whole}.${fraction}` : whole;
}

/** A unit price "11.900000" EUR -> "11,90 €" (de_DE); "0.123456" keeps its six decimals. */
export function formatUnitPrice(decimal: string, currency: string, locale: string): string {
  const digits = currencyDigits(currency);
  const shown = trimZeros(decimal, digits);
  return new Intl.NumberFormat(intlLocale(locale), {
    style: "currency",
    currency: currency.toUpperCase(),
    minimumFractionDigits: digits,
    maximumFractionDigits: Math.max(digits, decimalsOf(shown)),
  }).format(shown as unknown as number);
}

/** The API's decimal as a person edits it: "11.900000" -> "11,90" (de_DE), no thousands groups. */
export function decimalForInput(decimal: string, locale: string, minDigits = 0): string {
  return trimZeros(decimal, minDigits).replace(".", decimalSeparator(locale));
}
