import { createContext, useContext } from "react";

import { de } from "./de";
import { en, type Messages } from "./en";

export type Language = "de" | "en";

/** German for a de_* tenant locale (or browser, before sign-in), English otherwise. */
export function languageOf(locale: string): Language {
  return locale.toLowerCase().startsWith("de") ? "de" : "en";
}

export function messages(language: Language): Messages {
  return language === "de" ? de : en;
}

export interface Texts {
  t: Messages;
  locale: string; // the API's form: de_DE
}

export const TextsContext = createContext<Texts>({ t: en, locale: "en_US" });

export function useTexts(): Texts {
  return useContext(TextsContext);
}
