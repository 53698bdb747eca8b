// Amounts arrive in minor units (cents, yen, fils): shown exactly, with the currency's own number
// of decimals, in the tenant's locale. Dates are calendar days (YYYY-MM-DD), never shifted by a
// time zone.

/** "de_DE" (the API's form) -> "de-DE" (Intl's). */
export function intlLocale(locale: string): string {
  return locale.replace("_", "-");
}

export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() }).resolvedOptions()
    .maximumFractionDigits ?? 2;
}

/** 123456 cents in EUR -> "1.234,56 €" (de_DE); exact for any integer the API sends. */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const digits = currencyDigits(currency);
  const sign = minor < 0 ? "-" : "";
  const text = Math.abs(minor).toString().padStart(digits + 1, "0");
  const major = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  const format = new Intl.NumberFormat(intlLocale(locale), {
    style: "currency",
    currency: currency.toUpperCase(),
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  // A decimal string keeps every digit (no binary floating point in between).
  return format.format(`${sign}${major}` as unknown as number);
}

/** A calendar day "2026-12-04" -> "4.12.2026" (de_DE) / "12/4/2026" (en_US). */
export function formatDay(day: string, locale: string): string {
  const [year, month, date] = day.slice(0, 10).split("-").map(Number);
  if (!year || !month || !date) return day;
  return new Intl.DateTimeFormat(intlLocale(locale), { timeZone: "UTC", dateStyle: "medium" }).format(
    new Date(Date.UTC(year, month - 1, date)),
  );
}

/** A moment (ISO timestamp) in the browser's time zone. */
export function formatMoment(moment: string, locale: string): string {
  return new Intl.DateTimeFormat(intlLocale(locale), { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(moment),
  );
}

/** The API's percentage string ("9.99") -> "9,99 %" (de_DE) / "9.99%" (en_US), its digits kept. */
export function formatPercent(percentage: string, locale: string): string {
  const decimals = percentage.includes(".") ? percentage.split(".")[1]!.length : 0;
  return new Intl.NumberFormat(intlLocale(locale), {
    style: "percent",
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  }).format(`${percentage}e-2` as unknown as number);
}
