import { describe, expect, it } from "vitest";

import { decimalForInput, formatUnitPrice, parseDecimalInput } from "./decimal";

const NBSP = "\u00a0";

describe("typed decimals", () => {
  it("reads German and English ways of writing a number", () => {
    expect(parseDecimalInput("11,90", "de_DE")).toBe("11.90");
    expect(parseDecimalInput("1.234,5", "de_DE")).toBe("1234.5");
    expect(parseDecimalInput("11.900000", "de_DE")).toBe("11.900000");
    expect(parseDecimalInput("1.234.567", "de_DE")).toBe("1234567");
    expect(parseDecimalInput("1,234.50", "en_US")).toBe("1234.50");
    expect(parseDecimalInput("1,234", "en_US")).toBe("1234");
    expect(parseDecimalInput(" 9,995 % ", "de_DE")).toBe("9.995");
    expect(parseDecimalInput("12", "de_DE")).toBe("12");
  });

  it("refuses what is no number", () => {
    expect(parseDecimalInput("", "de_DE")).toBeNull();
    expect(parseDecimalInput("abc", "de_DE")).toBeNull();
    expect(parseDecimalInput("1,2,3", "de_DE")).toBeNull();
    expect(parseDecimalInput("1.2.3", "de_DE")).toBeNull();
  });
});

describe("unit prices", () => {
  it("shows the currency's digits and any further ones the price carries", () => {
    expect(formatUnitPrice("11.900000", "eur", "de_DE")).toBe(`11,90${NBSP}€`);
    expect(formatUnitPrice("0.123456", "eur", "de_DE")).toBe(`0,123456${NBSP}€`);
    expect(formatUnitPrice("1234567890123.5", "eur", "en_US")).toBe("€1,234,567,890,123.50");
    expect(formatUnitPrice("1500", "jpy", "de_DE")).toBe(`1.500${NBSP}¥`);
  });

  it("gives the input its locale's decimal comma", () => {
    expect(decimalForInput("11.900000", "de_DE", 2)).toBe("11,90");
    expect(decimalForInput("9.99", "en_US")).toBe("9.99");
    expect(decimalForInput("19.00", "de_DE")).toBe("19");
  });
});
