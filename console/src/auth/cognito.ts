// Cognito's user-pool API, called as the browser calls it: JSON over HTTPS with an X-Amz-Target,
// unsigned (InitiateAuth, RespondToAuthChallenge and RevokeToken need no AWS credentials). The
// console's app client has no secret. Tokens stay in memory only.

export interface SignInConfig {
  endpoint: string;
  region: string;
  client_id: string;
}

export interface Tokens {
  idToken: string;
  refreshToken: string;
  expiresAt: number; // ms since the epoch
}

export type SignInResult =
  | { kind: "signed-in"; tokens: Tokens }
  | { kind: "new-password"; session: string; email: string };

export class SignInError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface AuthenticationResult {
  IdToken: string;
  RefreshToken?: string;
  ExpiresIn: number;
}

async function call<T>(config: SignInConfig, action: string, body: object): Promise<T> {
  const response = await fetch(config.endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const code = String(answer.__type ?? answer.code ?? response.status).split("#").pop() ?? "";
    throw new SignInError(code, String(answer.message ?? answer.Message ?? code));
  }
  return answer as T;
}

function tokensOf(result: AuthenticationResult, refreshToken?: string): Tokens {
  return {
    idToken: result.IdToken,
    refreshToken: result.RefreshToken ?? refreshToken ?? "",
    expiresAt: Date.now() + result.ExpiresIn * 1000,
  };
}

interface InitiateAuthAnswer {
  AuthenticationResult?: AuthenticationResult;
  ChallengeName?: string;
  Session?: string;
}

export async function signIn(config: SignInConfig, email: string, password: string): Promise<SignInResult> {
  const answer = await call<InitiateAuthAnswer>(config, "InitiateAuth", {
    ClientId: config.client_id,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  if (answer.AuthenticationResult) return { kind: "signed-in", tokens: tokensOf(answer.AuthenticationResult) };
  if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED" && answer.Session)
    return { kind: "new-password", session: answer.Session, email };
  throw new SignInError(answer.ChallengeName ?? "unknown", `Cognito asks for ${answer.ChallengeName}`);
}

/** An invited person's first sign-in: the temporary password is replaced by their own. */
export async function setNewPassword(
  config: SignInConfig,
  email: string,
  session: string,
  password: string,
): Promise<Tokens> {
  const answer = await call<InitiateAuthAnswer>(config, "RespondToAuthChallenge", {
    ClientId: config.client_id,
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    Session: session,
    ChallengeResponses: { USERNAME: email, NEW_PASSWORD: password },
  });
  if (!answer.AuthenticationResult) throw new SignInError("challenge", "the new password was not accepted");
  return tokensOf(answer.AuthenticationResult);
}

export async function refresh(config: SignInConfig, tokens: Tokens): Promise<Tokens> {
  const answer = await call<InitiateAuthAnswer>(config, "InitiateAuth", {
    ClientId: config.client_id,
    AuthFlow: "REFRESH_TOKEN_AUTH",
    AuthParameters: { REFRESH_TOKEN: tokens.refreshToken },
  });
  if (!answer.AuthenticationResult) throw new SignInError("refresh", "the session ended");
  return tokensOf(answer.AuthenticationResult, tokens.refreshToken);
}

/** Signing out revokes the refresh token, so no copy of it can sign in again. */
export async function signOut(config: SignInConfig, tokens: Tokens): Promise<void> {
  await call(config, "RevokeToken", { ClientId: config.client_id, Token: tokens.refreshToken }).catch(() => undefined);
}
