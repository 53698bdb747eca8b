import { describe, expect, it } from "vitest";

import { de } from "./de";
import { en } from "./en";
import { languageOf } from "./index";

function keys(value: object, prefix = ""): string[] {
  return Object.entries(value).flatMap(([key, inner]) =>
    inner && typeof inner === "object" ? keys(inner, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

describe("the console's languages", () => {
  it("German has every English text and no other", () => {
    expect(keys(de).sort()).toEqual(keys(en).sort());
  });

  it("a de_* locale reads German, any other English", () => {
    expect(languageOf("de_DE")).toBe("de");
    expect(languageOf("de_AT")).toBe("de");
    expect(languageOf("en_US")).toBe("en");
    expect(languageOf("fr_FR")).toBe("en");
  });
});
