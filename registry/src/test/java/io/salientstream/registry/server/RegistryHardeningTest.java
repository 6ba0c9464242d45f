package io.salientstream.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.registry.server.SchemaRegistryServer.Role;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The registry as an attacker on localhost meets it (issue 15): no write without credentials, no
 * configuration change without the admin role, no subject outside the user's tenant prefix, no body
 * over the cap, and half-open connections that do not block it.
 */
class RegistryHardeningTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  static final String SCHEMA =
      "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"R\\\",\\\"fields\\\":[{\\\"name\\\":\\\"x\\\",\\\"type\\\":\\\"int\\\"}]}\"}";

  SchemaRegistryServer server;

  @BeforeEach
  void start() {
    server =
        SchemaRegistryServer.builder(new InMemorySchemaLog())
            .user("root", "root-pw", Role.ADMIN, "")
            .user("a-writer", "a-pw", Role.WRITE, "a.")
            .user("a-reader", "ar-pw", Role.READ, "a.")
            .user("b-admin", "b-pw", Role.ADMIN, "b.")
            .maxBodyBytes(64 * 1024)
            .build()
            .start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  HttpResponse<String> call(String method, String path, String body, String user, String pw)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.url() + path))
            .timeout(Duration.ofSeconds(5))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (user != null) {
      b.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString((user + ":" + pw).getBytes(StandardCharsets.UTF_8)));
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void unauthenticatedAndWrongPasswordRequestsAreRefused() throws Exception {
    assertThat(call("POST", "/subjects/a.t-value/versions", SCHEMA, null, null).statusCode())
        .isEqualTo(401);
    assertThat(call("GET", "/subjects", null, null, null).statusCode()).isEqualTo(401);
    assertThat(call("POST", "/subjects/a.t-value/versions", SCHEMA, "a-writer", "x").statusCode())
        .isEqualTo(401);
    assertThat(call("GET", "/subjects", null, "a-writer", "a-pw").body()).isEqualTo("[]");
  }

  @Test
  void rolesAndTenantPrefixesAreEnforced() throws Exception {
    HttpResponse<String> ok =
        call("POST", "/subjects/a.t-value/versions", SCHEMA, "a-writer", "a-pw");
    assertThat(ok.statusCode()).isEqualTo(200);
    int id = JSON.readTree(ok.body()).get("id").asInt();
    // another tenant's subject, read or written
    assertThat(
            call("POST", "/subjects/b.t-value/versions", SCHEMA, "a-writer", "a-pw").statusCode())
        .isEqualTo(403);
    assertThat(call("GET", "/subjects/a.t-value/versions", null, "b-admin", "b-pw").statusCode())
        .isEqualTo(403);
    assertThat(call("DELETE", "/subjects/a.t-value", null, "b-admin", "b-pw").statusCode())
        .isEqualTo(403);
    // a reader reads but does not register
    assertThat(call("GET", "/subjects/a.t-value/versions", null, "a-reader", "ar-pw").body())
        .isEqualTo("[1]");
    HttpResponse<String> readerWrite =
        call("POST", "/subjects/a.other-value/versions", SCHEMA, "a-reader", "ar-pw");
    assertThat(readerWrite.statusCode()).isEqualTo(403);
    JsonNode err = JSON.readTree(readerWrite.body());
    assertThat(err.get("error_code").asInt()).isEqualTo(403);
    assertThat(err.get("message").asText()).contains("a-reader");
    // configuration: only admins, and a tenant's admin only on its own subjects
    String full = "{\"compatibility\":\"NONE\"}";
    assertThat(call("PUT", "/config/a.t-value", full, "a-writer", "a-pw").statusCode())
        .isEqualTo(403);
    assertThat(call("PUT", "/config", full, "a-writer", "a-pw").statusCode()).isEqualTo(403);
    assertThat(call("PUT", "/config", full, "b-admin", "b-pw").statusCode()).isEqualTo(403);
    assertThat(call("DELETE", "/subjects/a.t-value", null, "a-writer", "a-pw").statusCode())
        .isEqualTo(403);
    assertThat(call("PUT", "/config/b.x-value", full, "b-admin", "b-pw").statusCode())
        .isEqualTo(200);
    assertThat(call("PUT", "/config", full, "root", "root-pw").statusCode()).isEqualTo(200);
    // listings show a tenant's users only their own subjects; schemas by id stay readable
    call("POST", "/subjects/b.u-value/versions", SCHEMA, "b-admin", "b-pw");
    assertThat(call("GET", "/subjects", null, "root", "root-pw").body())
        .contains("a.t-value", "b.u-value");
    assertThat(call("GET", "/subjects", null, "b-admin", "b-pw").body())
        .isEqualTo("[\"b.u-value\"]");
    assertThat(call("GET", "/subjects?subjectPrefix=a.", null, "b-admin", "b-pw").body())
        .isEqualTo("[\"b.u-value\"]");
    assertThat(call("GET", "/schemas/ids/" + id, null, "b-admin", "b-pw").statusCode())
        .isEqualTo(200);
  }

  @Test
  void overSizeBodiesAreRefusedWithoutReadingThem() throws Exception {
    String padding = " ".repeat(70 * 1024);
    HttpResponse<String> big =
        call("POST", "/subjects/a.t-value/versions", SCHEMA + padding, "a-writer", "a-pw");
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(JSON.readTree(big.body()).get("error_code").asInt()).isEqualTo(413);
    // the same schema under the cap is accepted
    assertThat(
            call("POST", "/subjects/a.t-value/versions", SCHEMA, "a-writer", "a-pw").statusCode())
        .isEqualTo(200);
  }

  @Test
  void fiftyHalfOpenConnectionsDoNotBlockIt() throws Exception {
    List<Socket> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 50; i++) {
        Socket s = new Socket("localhost", server.port());
        OutputStream out = s.getOutputStream();
        out.write("GET /subjects HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        slow.add(s);
      }
      long t0 = System.nanoTime();
      assertThat(call("GET", "/subjects", null, "root", "root-pw").statusCode()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
    } finally {
      for (Socket s : slow) {
        s.close();
      }
    }
  }
}
