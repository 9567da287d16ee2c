// Sign-in for a deployment with -c apiAuth=cognito (and make local AUTH=cognito).
// auth-config.json, written beside the page at deploy, says whether and where to sign in:
// Cognito's InitiateAuth with USER_PASSWORD_AUTH, from the browser, with the public client.
// Every call to the page's own api/ then carries the ID token in Authorization.
"use strict";

(() => {
  const TOKEN_KEY = "text2image.idToken";
  const pageFetch = window.fetch.bind(window);
  let config = { auth: "none" };

  const claimsOf = (token) => {
    try {
      const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(payload));
    } catch {
      return null;
    }
  };

  // The stored token while it is still valid (a minute's margin), else none.
  const currentToken = () => {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const claims = token && claimsOf(token);
    if (!claims || claims.exp * 1000 < Date.now() + 60_000) {
      sessionStorage.removeItem(TOKEN_KEY);
      return null;
    }
    return token;
  };

  const signIn = async (username, password) => {
    const response = await pageFetch(config.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: config.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    });
    const answer = await response.json().catch(() => ({}));
    const token = answer.AuthenticationResult && answer.AuthenticationResult.IdToken;
    if (!response.ok || !token) {
      throw new Error(answer.message || "The user name or password is wrong.");
    }
    sessionStorage.setItem(TOKEN_KEY, token);
  };

  const element = (tag, attributes = {}, text = "") => {
    const node = document.createElement(tag);
    Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, value));
    if (text) node.textContent = text;
    return node;
  };

  const render = () => {
    const panel = document.getElementById("account");
    if (!panel || config.auth !== "cognito") return;
    panel.hidden = false;
    panel.replaceChildren();
    const token = currentToken();
    if (token) {
      const claims = claimsOf(token);
      const who = claims["cognito:username"] || claims.email || "you";
      panel.append(element("span", { id: "signed-in-as" }, `Signed in as ${who}`));
      const out = element("button", { type: "button", class: "secondary" }, "Sign out");
      out.addEventListener("click", () => {
        sessionStorage.removeItem(TOKEN_KEY);
        render();
      });
      panel.append(out);
      return;
    }
    const form = element("form", { id: "sign-in-form", "aria-label": "Sign in" });
    const user = element("input", { id: "sign-in-user", autocomplete: "username", required: "" });
    const password = element("input", {
      id: "sign-in-password",
      type: "password",
      autocomplete: "current-password",
      required: "",
    });
    const problem = element("p", { id: "sign-in-problem", role: "alert", class: "help" });
    form.append(
      element("label", { for: "sign-in-user" }, "User name"),
      user,
      element("label", { for: "sign-in-password" }, "Password"),
      password,
      element("button", { type: "submit" }, "Sign in"),
      problem,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      problem.textContent = "";
      try {
        await signIn(user.value.trim(), password.value);
        render();
      } catch (error) {
        problem.textContent = `Could not sign in: ${error.message}`;
      }
    });
    panel.append(element("p", {}, "Sign in to generate images."), form);
  };

  const ready = pageFetch("auth-config.json", { cache: "no-store" })
    .then((response) => (response.ok ? response.json() : { auth: "none" }))
    .catch(() => ({ auth: "none" }))
    .then((loaded) => {
      config = loaded;
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", render);
      } else {
        render();
      }
    });

  // The page's own API calls carry the token; a 401 means it is gone: ask to sign in again.
  window.fetch = async (input, init = {}) => {
    const url = typeof input === "string" ? input : input.url;
    const isApi = /^\/?api\//.test(url);
    if (!isApi) return pageFetch(input, init);
    await ready;
    const token = config.auth === "cognito" ? currentToken() : null;
    const headers = new Headers(init.headers || {});
    if (token) headers.set("Authorization", token);
    const response = await pageFetch(input, { ...init, headers });
    if (response.status === 401 && config.auth === "cognito") {
      sessionStorage.removeItem(TOKEN_KEY);
      render();
    }
    return response;
  };
})();
