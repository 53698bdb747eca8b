// The signed-in session: tokens in memory (never in storage), refreshed a minute before they
// expire; a reload signs in again. Who signed in comes from GET /v1/me.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

import { api, unwrap, setBearer, type Schemas } from "../api/client";
import { refresh, signOut as revoke, type SignInConfig, type Tokens } from "./cognito";

export type Me = Schemas["MeOut"];

interface Session {
  config: SignInConfig | null | undefined; // undefined while loading; null: no sign-in here
  signUpOpen: boolean; // a new business may sign up here
  me: Me | null;
  startSession: (tokens: Tokens) => Promise<void>;
  endSession: () => Promise<void>;
  may: (permission: "read" | "write" | "administer") => boolean;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<SignInConfig | null | undefined>(undefined);
  const [me, setMe] = useState<Me | null>(null);
  const [signUpOpen, setSignUpOpen] = useState(false);
  const tokens = useRef<Tokens | null>(null);

  useEffect(() => {
    unwrap(api.GET("/v1/console/config"))
      .then((answer) => {
        setConfig(answer.sign_in ?? null);
        setSignUpOpen(answer.sign_up_open);
      })
      .catch(() => setConfig(null));
  }, []);

  useEffect(() => {
    setBearer(async () => {
      const current = tokens.current;
      if (!current) return null;
      if (config && current.expiresAt - Date.now() < 60_000) {
        try {
          tokens.current = await refresh(config, current);
        } catch {
          tokens.current = null;
          setMe(null);
          return null;
        }
      }
      return tokens.current?.idToken ?? null;
    });
  }, [config]);

  const startSession = useCallback(async (fresh: Tokens) => {
    tokens.current = fresh;
    setMe(await unwrap(api.GET("/v1/me")));
  }, []);

  const endSession = useCallback(async () => {
    if (config && tokens.current) await revoke(config, tokens.current);
    tokens.current = null;
    setMe(null);
  }, [config]);

  const value = useMemo<Session>(
    () => ({
      config,
      signUpOpen,
      me,
      startSession,
      endSession,
      may: (permission) => Boolean(me?.permissions.includes(permission)),
    }),
    [config, signUpOpen, me, startSession, endSession],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
