package io.salientstream.stack.secure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private CA and a broker certificate signed by it, made with the JDK's {@code keytool} at the
 * first start and kept in a folder (owner-only where the file system allows):
 *
 * <ul>
 *   <li>{@code ca.p12} — the CA's key (stays in the folder);
 *   <li>{@code ca.pem} — the CA certificate, what clients trust ({@code ssl.truststore.type=PEM});
 *   <li>{@code broker.p12} — the broker's key and certificate chain (CN and SAN {@code localhost},
 *       SAN IP 127.0.0.1);
 *   <li>{@code store.password} — the password of both PKCS12 stores.
 * </ul>
 *
 * The password reaches keytool through its environment ({@code -storepass:env}), never its
 * arguments.
 */
public final class TlsMaterial {
  public static final String CA_PEM = "ca.pem";
  public static final String BROKER_KEYSTORE = "broker.p12";
  public static final String PASSWORD_FILE = "store.password";
  private static final String PASSWORD_ENV = "SALIENTSTREAM_TLS_STOREPASS";

  private final Path folder;
  private final String storePassword;

  private TlsMaterial(Path folder, String storePassword) {
    this.folder = folder;
    this.storePassword = storePassword;
  }

  /** Reads the material in {@code folder}, generating it first when it is not complete. */
  public static TlsMaterial ensure(Path folder) {
    try {
      Files.createDirectories(folder);
      ownerOnly(folder, true);
      Path pw = folder.resolve(PASSWORD_FILE);
      if (Files.exists(folder.resolve(BROKER_KEYSTORE))
          && Files.exists(folder.resolve(CA_PEM))
          && Files.exists(pw)) {
        return new TlsMaterial(folder, Files.readString(pw, StandardCharsets.UTF_8).trim());
      }
      for (String f : List.of("ca.p12", CA_PEM, BROKER_KEYSTORE, "broker.csr", "broker.pem")) {
        Files.deleteIfExists(folder.resolve(f));
      }
      String password = Secrets.randomPassword();
      writeSecret(pw, password);
      generate(folder, password);
      return new TlsMaterial(folder, password);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create TLS material in " + folder, e);
    }
  }

  private static void generate(Path dir, String password) {
    String ec = "-keyalg EC -groupname secp256r1";
    keytool(
        dir,
        password,
        "-genkeypair -alias ca " + ec + " -validity 3650 -ext bc:c -keystore ca.p12",
        "-dname",
        "CN=SalientStream local CA");
    keytool(dir, password, "-exportcert -rfc -alias ca -keystore ca.p12 -file " + CA_PEM);
    keytool(
        dir,
        password,
        "-genkeypair -alias broker " + ec + " -validity 825 -keystore " + BROKER_KEYSTORE,
        "-dname",
        "CN=localhost");
    keytool(dir, password, "-certreq -alias broker -keystore broker.p12 -file broker.csr");
    keytool(
        dir,
        password,
        "-gencert -rfc -alias ca -keystore ca.p12 -infile broker.csr -outfile broker.pem"
            + " -validity 825 -ext SAN=dns:localhost,ip:127.0.0.1");
    keytool(dir, password, "-importcert -noprompt -alias ca -file ca.pem -keystore broker.p12");
    keytool(dir, password, "-importcert -alias broker -file broker.pem -keystore broker.p12");
    try {
      Files.deleteIfExists(dir.resolve("broker.csr"));
      for (String f : List.of("ca.p12", BROKER_KEYSTORE)) {
        ownerOnly(dir.resolve(f), false);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void keytool(Path dir, String password, String args, String... more) {
    Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
    Path keytool = java.resolveSibling("keytool");
    List<String> cmd = new ArrayList<>();
    cmd.add(Files.isExecutable(keytool) ? keytool.toString() : "keytool");
    // a short-lived JVM: start fast rather than optimize
    cmd.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"));
    cmd.addAll(List.of(args.split(" ")));
    cmd.addAll(List.of(more));
    cmd.addAll(List.of("-storetype", "PKCS12", "-storepass:env", PASSWORD_ENV));
    if (args.startsWith("-genkeypair")) {
      cmd.addAll(List.of("-keypass:env", PASSWORD_ENV));
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put(PASSWORD_ENV, password);
    try {
      Process p = pb.start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(
            "keytool "
                + args.split(" ")[0]
                + " failed in "
                + dir
                + ": "
                + new String(out, StandardCharsets.UTF_8).trim());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run keytool (" + cmd.get(0) + ")", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running keytool", e);
    }
  }

  static void writeSecret(Path file, String secret) throws IOException {
    Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
    ownerOnly(file, false);
  }

  static void ownerOnly(Path p, boolean dir) {
    try {
      Files.setPosixFilePermissions(
          p, PosixFilePermissions.fromString(dir ? "rwx------" : "rw-------"));
    } catch (UnsupportedOperationException | IOException e) {
      // not a POSIX file system: the folder's own protection applies
    }
  }

  public Path folder() {
    return folder;
  }

  /** The CA certificate clients trust. */
  public Path caPem() {
    return folder.resolve(CA_PEM);
  }

  public Path brokerKeystore() {
    return folder.resolve(BROKER_KEYSTORE);
  }

  /** The stores' password (for the broker's own configuration only). */
  public String storePassword() {
    return storePassword;
  }

  /** Random secrets. */
  public static final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {}

    /** 24 random bytes, URL-safe base64 (32 characters, no quotes or spaces). */
    public static String randomPassword() {
      byte[] b = new byte[24];
      RANDOM.nextBytes(b);
      return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
  }
}
