// @vitest-environment jsdom
import { renderHook } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { useKeySequence } from "./shortcuts";

const press = (key: string, target: EventTarget = window) =>
  target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
const KEYS = ["c", "n"] as const;

describe("useKeySequence", () => {
  it("acts on c then n, not on n alone nor on c, x, n", () => {
    const action = vi.fn();
    renderHook(() => useKeySequence(KEYS, action));
    press("n");
    press("c");
    press("x");
    press("n");
    expect(action).not.toHaveBeenCalled();
    press("c");
    press("n");
    expect(action).toHaveBeenCalledTimes(1);
  });

  it("ignores keys typed into a field", () => {
    const action = vi.fn();
    renderHook(() => useKeySequence(KEYS, action));
    const input = document.body.appendChild(document.createElement("input"));
    press("c", input);
    press("n", input);
    expect(action).not.toHaveBeenCalled();
  });
});
