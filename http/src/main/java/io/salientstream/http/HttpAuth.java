package io.salientstream.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Who sent a request, from its {@code Authorization} header: a bearer token or HTTP basic
 * credentials, compared in constant time. {@link #authenticate} gives the principal's name, or
 * empty when the header is missing or wrong.
 */
public interface HttpAuth {

  /** The principal the header proves, if any. */
  Optional<String> authenticate(String authorizationHeader);

  /** The {@code WWW-Authenticate} challenge sent with a 401. */
  String challenge();

  /** {@code Authorization: Bearer <token>}; the principal is {@code principal}. */
  static HttpAuth bearer(String principal, String token) {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("an empty bearer token would let anyone in");
    }
    byte[] expected = token.getBytes(StandardCharsets.UTF_8);
    return new HttpAuth() {
      @Override
      public Optional<String> authenticate(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
          return Optional.empty();
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected, given) ? Optional.of(principal) : Optional.empty();
      }

      @Override
      public String challenge() {
        return "Bearer";
      }
    };
  }

  /**
   * One token, accepted as {@code Authorization: Bearer <token>} (scripts) or as the password of
   * HTTP basic credentials with any user name (browsers: the 401 carries a {@code Basic} challenge,
   * so a browser asks once and then sends the credentials with every request of the page, its event
   * stream included). The principal is {@code principal}.
   */
  static HttpAuth tokenForBrowsers(String realm, String principal, String token) {
    HttpAuth bearer = bearer(principal, token);
    byte[] expected = token.getBytes(StandardCharsets.UTF_8);
    return new HttpAuth() {
      @Override
      public Optional<String> authenticate(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
          return bearer.authenticate(header);
        }
        String decoded;
        try {
          decoded =
              new String(
                  Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        byte[] given = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        return colon >= 0 && MessageDigest.isEqual(expected, given)
            ? Optional.of(principal)
            : Optional.empty();
      }

      @Override
      public String challenge() {
        return "Basic realm=\"" + realm + "\", charset=\"UTF-8\"";
      }
    };
  }

  /** HTTP basic authentication against {@code passwords} (user → password). */
  static HttpAuth basic(String realm, Map<String, String> passwords) {
    Map<String, byte[]> users = new LinkedHashMap<>();
    passwords.forEach(
        (user, pw) -> {
          if (pw == null || pw.isEmpty()) {
            throw new IllegalArgumentException("user " + user + " has an empty password");
          }
          users.put(user, pw.getBytes(StandardCharsets.UTF_8));
        });
    return new HttpAuth() {
      @Override
      public Optional<String> authenticate(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
          return Optional.empty();
        }
        String decoded;
        try {
          decoded =
              new String(
                  Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
          return Optional.empty();
        }
        String user = decoded.substring(0, colon);
        byte[] given = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        byte[] expected = users.get(user);
        // compare against something even for an unknown user, so timing does not tell users apart
        boolean ok =
            MessageDigest.isEqual(expected == null ? new byte[given.length + 1] : expected, given);
        return ok && expected != null ? Optional.of(user) : Optional.empty();
      }

      @Override
      public String challenge() {
        return "Basic realm=\"" + realm + "\", charset=\"UTF-8\"";
      }
    };
  }
}
