package io.salientstream.cli;

import io.salientstream.stack.secure.TenantSetup;
import io.salientstream.stack.secure.TenantSetup.Role;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.LayeredConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code salientstream tenant create}: a tenant's topics, one SCRAM principal per role with
 * least-privilege ACLs ({@link TenantSetup}), and one client configuration file per role (owner
 * only) to pass to {@code --config}; optionally the tenant's registry users.
 */
@Command(
    name = "tenant",
    mixinStandardHelpOptions = true,
    description = "Create a tenant: topics, role principals (SCRAM) and ACLs, client config files.",
    subcommands = {TenantCommand.Create.class})
final class TenantCommand {

  /** Client settings copied from the admin's configuration into each role's file. */
  private static final List<String> SHARED_KEYS =
      List.of(
          "bootstrap.servers",
          "security.protocol",
          "sasl.mechanism",
          "ssl.truststore.type",
          "ssl.truststore.location",
          "ssl.endpoint.identification.algorithm",
          "schema.registry.ssl.truststore.type",
          "schema.registry.ssl.truststore.location",
          LayeredConfig.REGISTRY_URL);

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description =
          "Run as the cluster's admin (--config FILE with its credentials). Writes <out>/<tenant><role>.properties.")
  static final class Create implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Option(
        names = "--out",
        paramLabel = "DIR",
        required = true,
        description = "Folder for the role client files (created owner-only).")
    Path out;

    @Option(
        names = "--registry-users",
        paramLabel = "FILE",
        description =
            "Append the tenant's registry users to this file (the registry reads it at its start;"
                + " `local --secure` keeps it in <data-dir>/kafka/registry-users).")
    Path registryUsers;

    @Override
    public Integer call() throws IOException {
      LayeredConfig cfg = connection.resolve();
      String tenant = cfg.tenant();
      TenantSetup.validateTenant(tenant);
      Map<Role, String> passwords;
      try (Admin admin = Admin.create(cfg.kafkaProperties())) {
        TopicInitializer.ensureTopics(admin, Topics.withPrefix(tenant), (short) 1);
        passwords = TenantSetup.create(admin, tenant);
      }
      Files.createDirectories(out);
      ownerOnly(out, "rwx------");
      for (Map.Entry<Role, String> e : passwords.entrySet()) {
        Role role = e.getKey();
        String user = role.user(tenant);
        Map<String, String> p = new TreeMap<>();
        for (String k : SHARED_KEYS) {
          if (cfg.get(k) != null) {
            p.put(k, cfg.get(k));
          }
        }
        p.put(LayeredConfig.TENANT, tenant);
        p.put(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user
                + "\" password=\""
                + e.getValue()
                + "\";");
        p.put("basic.auth.credentials.source", "USER_INFO");
        p.put("basic.auth.user.info", user + ":" + e.getValue());
        Path file = out.resolve(user + ".properties");
        write(file, p);
        System.out.println("principal " + user + " → " + file);
      }
      if (registryUsers != null) {
        StringBuilder sb = new StringBuilder("# tenant " + tenant + "\n");
        for (Map.Entry<Role, String> e : passwords.entrySet()) {
          String role =
              switch (e.getKey()) {
                case MONITOR -> "READ";
                default -> "WRITE";
              };
          sb.append(e.getKey().user(tenant))
              .append(' ')
              .append(role)
              .append(' ')
              .append(tenant)
              .append(' ')
              .append(e.getValue())
              .append('\n');
        }
        Files.writeString(
            registryUsers,
            sb.toString(),
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
        ownerOnly(registryUsers, "rw-------");
        System.out.println(
            "registry users of "
                + tenant
                + " appended to "
                + registryUsers
                + " (restart the registry)");
      }
      System.out.println(
          "tenant "
              + tenant
              + " created; give each process its file with --config (passwords are only in the files)");
      return 0;
    }
  }

  private static void write(Path file, Map<String, String> values) {
    try {
      Files.deleteIfExists(file);
      Files.createFile(file);
      ownerOnly(file, "rw-------");
      Properties p = new Properties();
      p.putAll(values);
      try (var w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        p.store(w, "SalientStream client settings (secret: keep owner-only)");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static void ownerOnly(Path p, String perms) {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    } catch (UnsupportedOperationException | IOException e) {
      // not POSIX: the folder's own protection applies
    }
  }

  /** Writes the admin's client file of a secure local stack (for {@code --config}). */
  static void writeAdminFile(
      Path file, Map<String, Object> kafka, String registryUrl, Path caPem, String adminPassword) {
    Map<String, String> p = new TreeMap<>();
    kafka.forEach((k, v) -> p.put(k, String.valueOf(v)));
    p.put(LayeredConfig.REGISTRY_URL, registryUrl);
    p.put("schema.registry.ssl.truststore.type", "PEM");
    p.put("schema.registry.ssl.truststore.location", caPem.toAbsolutePath().toString());
    p.put("basic.auth.credentials.source", "USER_INFO");
    p.put("basic.auth.user.info", "admin:" + adminPassword);
    write(file, p);
  }
}
