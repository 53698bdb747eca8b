import { describe, expect, it } from "vitest";

import { currencyDigits, formatDay, formatMoney, formatPercent } from "./format";

const NBSP = "\u00a0";

describe("money from minor units", () => {
  it("shows cents in the tenant's locale", () => {
    expect(formatMoney(123456, "eur", "de_DE")).toBe(`1.234,56${NBSP}€`);
    expect(formatMoney(123456, "eur", "en_US")).toBe("€1,234.56");
    expect(formatMoney(-1500, "eur", "de_DE")).toBe(`-15,00${NBSP}€`);
    expect(formatMoney(5, "eur", "de_DE")).toBe(`0,05${NBSP}€`);
  });

  it("uses each currency's own decimals: none for JPY, three for KWD", () => {
    expect(currencyDigits("jpy")).toBe(0);
    expect(currencyDigits("kwd")).toBe(3);
    expect(formatMoney(15525, "jpy", "de_DE")).toBe(`15.525${NBSP}¥`);
    expect(formatMoney(155250, "kwd", "en_US")).toBe(`KWD${NBSP}155.250`);
  });

  it("keeps every digit of a large sum (formatted from a decimal string, not a float)", () => {
    expect(formatMoney(99999999999999, "eur", "en_US")).toBe("€999,999,999,999.99");
    expect(formatMoney(10000000000001, "kwd", "en_US")).toBe(`KWD${NBSP}10,000,000,000.001`);
  });
});

describe("days and percentages", () => {
  it("shows a calendar day without moving it by a time zone", () => {
    expect(formatDay("2026-12-04", "de_DE")).toBe("04.12.2026");
    expect(formatDay("2026-01-01", "en_US")).toBe("Jan 1, 2026");
  });

  it("shows the percentage as the API rounded it", () => {
    expect(formatPercent("9.99", "de_DE")).toBe(`9,99${NBSP}%`);
    expect(formatPercent("19", "de_DE")).toBe(`19${NBSP}%`);
    expect(formatPercent("7.5", "en_US")).toBe("7.5%");
  });
});
