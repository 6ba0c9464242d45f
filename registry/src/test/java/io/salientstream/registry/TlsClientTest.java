package io.salientstream.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.client.RegistryClientConfig;
import io.salientstream.registry.server.InMemorySchemaLog;
import io.salientstream.registry.server.SchemaRegistryServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's schema.registry.ssl.* settings against the server over HTTPS (stores made with the
 * JDK's keytool).
 */
class TlsClientTest {
  private static final String PW = "changeit";

  private static void keytool(Path dir, String... args) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> cmd = new ArrayList<>(List.of(keytool.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("keytool %s: %s", List.of(args), out).isZero();
  }

  @Test
  void clientTrustsTheServerThroughTheConfiguredTruststore(@TempDir Path dir) throws Exception {
    keytool(
        dir,
        "-genkeypair",
        "-alias",
        "registry",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=localhost",
        "-ext",
        "SAN=dns:localhost",
        "-validity",
        "2",
        "-storetype",
        "PKCS12",
        "-keystore",
        "server.p12",
        "-storepass",
        PW,
        "-keypass",
        PW);
    keytool(
        dir,
        "-exportcert",
        "-alias",
        "registry",
        "-keystore",
        "server.p12",
        "-storepass",
        PW,
        "-file",
        "server.crt");
    keytool(
        dir,
        "-importcert",
        "-noprompt",
        "-alias",
        "registry",
        "-file",
        "server.crt",
        "-storetype",
        "PKCS12",
        "-keystore",
        "trust.p12",
        "-storepass",
        PW);

    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
      ks.load(in, PW.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PW.toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);

    SchemaRegistryServer server =
        SchemaRegistryServer.builder(new InMemorySchemaLog()).tls(ctx).build().start();
    try {
      assertThat(server.url()).startsWith("https://localhost:");
      HttpSchemaRegistryClient client =
          new HttpSchemaRegistryClient(
              RegistryClientConfig.from(
                  Map.of(
                      RegistryClientConfig.URL,
                      server.url(),
                      RegistryClientConfig.SSL_TRUSTSTORE_LOCATION,
                      dir.resolve("trust.p12").toString(),
                      RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD,
                      PW,
                      RegistryClientConfig.SSL_TRUSTSTORE_TYPE,
                      "PKCS12")));
      int id = client.register("tls-value", SchemaRegistryServerTest.V1);
      assertThat(client.getSchemaById(id)).isEqualTo(SchemaRegistryServerTest.V1);

      // without the truststore the server's self-signed certificate is refused
      HttpSchemaRegistryClient untrusting = new HttpSchemaRegistryClient(server.url());
      assertThatThrownBy(() -> untrusting.getAllSubjects())
          .isInstanceOf(SchemaRegistryException.class)
          .hasMessageContaining("no schema registry reachable");
    } finally {
      server.close();
    }
  }
}
