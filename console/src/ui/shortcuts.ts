// Two-key shortcuts as in Gmail or HubSpot ("c" then "n": create new customer), never while a
// person types into a field.
import { useEffect } from "react";

const WITHIN_MS = 1500;

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export function useKeySequence(keys: readonly [string, string], action: () => void, enabled = true): void {
  useEffect(() => {
    if (!enabled) return;
    let first = 0; // when the first key was pressed
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      const key = event.key.toLowerCase();
      if (key === keys[1] && Date.now() - first < WITHIN_MS) {
        first = 0;
        event.preventDefault();
        action();
      } else {
        first = key === keys[0] ? Date.now() : 0;
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [keys, action, enabled]);
}
