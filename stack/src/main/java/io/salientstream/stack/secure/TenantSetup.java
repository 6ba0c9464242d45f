package io.salientstream.stack.secure;

import io.salientstream.stack.topics.Topics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Creates a tenant on a cluster with authorization: one SCRAM-SHA-512 principal per {@link Role}
 * (named {@code <tenant><role>}, e.g. {@code a.trainer}) with a fresh random password, and the
 * least-privilege ACLs of each role on the tenant's topics, consumer groups and transactional ids.
 * Run it as a principal allowed to alter SCRAM credentials and ACLs (the super user).
 */
public final class TenantSetup {
  /** The analyzer's and pruner's default application ids (without the tenant prefix). */
  public static final String ANALYZER_APP = "salientstream-salience-analyzer";

  public static final String PRUNER_APP = "salientstream-pruner";

  /** The roles of a tenant. */
  public enum Role {
    /** Registers experiments, writes steps and status, reads its commands. */
    TRAINER,
    /** The salience analyzer (Kafka Streams). */
    ANALYZER,
    /** The pruner (Kafka Streams): the only role that writes rank commands. */
    PRUNER,
    /** Reads the tenant's topics ({@code watch}). */
    MONITOR,
    /** Everything under the tenant's prefix (topics, groups, transactional ids). */
    ADMIN;

    public String user(String tenant) {
      return tenant + name().toLowerCase(Locale.ROOT);
    }
  }

  private TenantSetup() {}

  /** The ACLs of {@code role} in {@code tenant} (a topic prefix such as {@code "a."}). */
  public static List<AclBinding> acls(String tenant, Role role) {
    Topics t = Topics.withPrefix(tenant);
    String user = "User:" + role.user(tenant);
    List<AclBinding> out = new ArrayList<>();
    switch (role) {
      case TRAINER -> {
        for (var spec :
            List.of(Topics.EXPERIMENTS, Topics.SINGULAR_VALUES, Topics.TRAINER_STATUS)) {
          out.add(literalTopic(t.name(spec), user, AclOperation.WRITE));
        }
        out.add(literalTopic(t.name(Topics.RANK_COMMANDS), user, AclOperation.READ));
        // who runs an experiment id already (issue 15: ids are owned by a running definition)
        out.add(literalTopic(t.name(Topics.EXPERIMENTS), user, AclOperation.READ));
      }
      case ANALYZER -> {
        out.add(literalTopic(t.name(Topics.EXPERIMENTS), user, AclOperation.READ));
        out.add(literalTopic(t.name(Topics.SINGULAR_VALUES), user, AclOperation.READ));
        out.add(literalTopic(t.name(Topics.SALIENCE_REPORTS), user, AclOperation.WRITE));
        out.add(literalTopic(t.name(Topics.DEAD_LETTER), user, AclOperation.WRITE));
        out.addAll(streamsApp(tenant + ANALYZER_APP, user));
      }
      case PRUNER -> {
        out.add(literalTopic(t.name(Topics.EXPERIMENTS), user, AclOperation.READ));
        out.add(literalTopic(t.name(Topics.SALIENCE_REPORTS), user, AclOperation.READ));
        out.add(literalTopic(t.name(Topics.RANK_COMMANDS), user, AclOperation.WRITE));
        out.add(literalTopic(t.name(Topics.DEAD_LETTER), user, AclOperation.WRITE));
        out.addAll(streamsApp(tenant + PRUNER_APP, user));
      }
      case MONITOR -> {
        for (var spec : Topics.specs()) {
          if (spec != Topics.SCHEMAS) {
            out.add(literalTopic(t.name(spec), user, AclOperation.READ));
          }
        }
      }
      case ADMIN -> {
        out.add(prefixed(ResourceType.TOPIC, tenant, user, AclOperation.ALL));
        out.add(prefixed(ResourceType.GROUP, tenant, user, AclOperation.ALL));
        out.add(prefixed(ResourceType.TRANSACTIONAL_ID, tenant, user, AclOperation.ALL));
      }
      default -> throw new IllegalArgumentException("unknown role " + role);
    }
    return out;
  }

  /** What a Kafka Streams app needs under its application id. */
  private static List<AclBinding> streamsApp(String appId, String user) {
    return List.of(
        prefixed(ResourceType.TOPIC, appId, user, AclOperation.ALL),
        prefixed(ResourceType.GROUP, appId, user, AclOperation.READ),
        prefixed(ResourceType.GROUP, appId, user, AclOperation.DESCRIBE),
        prefixed(ResourceType.GROUP, appId, user, AclOperation.DELETE),
        prefixed(ResourceType.TRANSACTIONAL_ID, appId, user, AclOperation.WRITE),
        prefixed(ResourceType.TRANSACTIONAL_ID, appId, user, AclOperation.DESCRIBE));
  }

  private static AclBinding literalTopic(String topic, String user, AclOperation op) {
    return binding(ResourceType.TOPIC, topic, PatternType.LITERAL, user, op);
  }

  private static AclBinding prefixed(
      ResourceType type, String prefix, String user, AclOperation op) {
    return binding(type, prefix, PatternType.PREFIXED, user, op);
  }

  private static AclBinding binding(
      ResourceType type, String name, PatternType pattern, String user, AclOperation op) {
    return new AclBinding(
        new ResourcePattern(type, name, pattern),
        new AccessControlEntry(user, "*", op, AclPermissionType.ALLOW));
  }

  /**
   * Creates (or re-keys) the tenant's principals with fresh random passwords and adds their ACLs.
   *
   * @return the password of each role's principal (write them to owner-only files; never log them)
   */
  public static Map<Role, String> create(Admin admin, String tenant) {
    validateTenant(tenant);
    Map<Role, String> passwords = new LinkedHashMap<>();
    List<UserScramCredentialAlteration> users = new ArrayList<>();
    List<AclBinding> acls = new ArrayList<>();
    for (Role r : Role.values()) {
      String pw = TlsMaterial.Secrets.randomPassword();
      passwords.put(r, pw);
      users.add(
          new UserScramCredentialUpsertion(
              r.user(tenant), new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), pw));
      acls.addAll(acls(tenant, r));
    }
    try {
      admin.alterUserScramCredentials(users).all().get(60, TimeUnit.SECONDS);
      admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "creating tenant '" + tenant + "' failed: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("creating tenant '" + tenant + "' timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating tenant " + tenant, e);
    }
    return passwords;
  }

  /** A tenant is a topic prefix: letters, digits, '-' and '_', ending with '.'. */
  public static void validateTenant(String tenant) {
    if (tenant == null || !tenant.matches("[A-Za-z0-9_-]{1,64}\\.")) {
      throw new IllegalArgumentException(
          "tenant must be letters, digits, '-' or '_' followed by '.', e.g. 'a.'; got '"
              + (tenant == null ? "null" : tenant.substring(0, Math.min(tenant.length(), 80)))
              + "'");
    }
  }
}
