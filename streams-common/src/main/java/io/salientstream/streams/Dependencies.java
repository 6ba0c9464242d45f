package io.salientstream.streams;

import io.salientstream.core.cli.UnavailableException;
import io.salientstream.registry.SchemaRegistryException;
import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.client.RegistryClientConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;

/**
 * Checks, before a command starts work, that what it needs is there: the Kafka broker answers, the
 * schema registry answers, the tenant's topics exist. Each failure is one {@link
 * UnavailableException} line naming the dependency, where it was looked for, and what to do (exit
 * code 3), instead of minutes of client retries and stack traces.
 */
public final class Dependencies {

  /**
   * How long a command waits for a broker or registry that accepts connections to answer before it
   * gives up (generous: a loaded machine starting several JVMs answers slowly). A refused
   * connection fails at once.
   */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** How long a TCP connection to one bootstrap server may take. */
  static final int CONNECT_TIMEOUT_MS = 5_000;

  private Dependencies() {}

  /**
   * Waits up to {@code timeout} for the broker to describe its cluster.
   *
   * @param config Kafka client properties (other keys are dropped)
   * @throws UnavailableException naming the bootstrap servers when no broker answers
   */
  public static void requireBroker(Map<String, ?> config, Duration timeout) {
    try (Admin admin = admin(config, timeout)) {
      requireBroker(admin, bootstrap(config), timeout);
    }
  }

  /** The same with an admin client the caller owns. */
  public static void requireBroker(Admin admin, String bootstrap, Duration timeout) {
    requireListening(bootstrap);
    try {
      admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException("interrupted while contacting the Kafka broker", e);
    } catch (ExecutionException | TimeoutException e) {
      throw brokerDown(bootstrap, timeout, e);
    }
  }

  /**
   * Checks that every topic in {@code names} exists.
   *
   * @param tenant the tenant whose topics these are ({@code ""}: none), for the advice
   * @throws UnavailableException listing the missing topics and the command that creates them
   */
  public static void requireTopics(
      Map<String, ?> config, Collection<String> names, String tenant, Duration timeout) {
    try (Admin admin = admin(config, timeout)) {
      Set<String> existing;
      try {
        existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UnavailableException("interrupted while listing topics", e);
      } catch (ExecutionException | TimeoutException e) {
        throw brokerDown(bootstrap(config), timeout, e);
      }
      List<String> missing = new ArrayList<>();
      for (String n : names) {
        if (!existing.contains(n)) {
          missing.add(n);
        }
      }
      if (!missing.isEmpty()) {
        throw new UnavailableException(missingTopics(missing, tenant, bootstrap(config)));
      }
    }
  }

  /** The message for topics that do not exist (one line). */
  public static String missingTopics(List<String> missing, String tenant, String bootstrap) {
    return "topics missing on the Kafka broker at "
        + bootstrap
        + ": "
        + String.join(", ", missing)
        + " (create them: salientstream topics create"
        + (tenant == null || tenant.isEmpty() ? "" : " --tenant " + tenant)
        + " --bootstrap-servers "
        + bootstrap
        + ")";
  }

  /**
   * Asks the schema registry for its subjects, waiting at most {@code timeout}.
   *
   * @param config registry client settings ({@code schema.registry.url} and friends)
   * @throws UnavailableException naming the URL when the registry does not answer
   */
  public static void requireRegistry(Map<String, ?> config, Duration timeout) {
    Map<String, Object> c = new HashMap<>(config);
    c.put(RegistryClientConfig.REQUEST_TIMEOUT_MS, String.valueOf(timeout.toMillis()));
    Object url = c.get("schema.registry.url");
    if (url == null || url.toString().isBlank()) {
      throw new UnavailableException(
          "no schema registry URL: set --registry-url or SALIENTSTREAM_REGISTRY_URL");
    }
    try (HttpSchemaRegistryClient client =
        new HttpSchemaRegistryClient(RegistryClientConfig.from(c))) {
      client.getAllSubjects();
    } catch (SchemaRegistryException e) {
      if (e.httpStatus() == 401 || e.httpStatus() == 403) {
        throw new UnavailableException(
            "schema registry at "
                + url
                + " refused the credentials (HTTP "
                + e.httpStatus()
                + "): check basic.auth.user.info",
            e);
      }
      if (e.httpStatus() == 0 || e.httpStatus() >= 500) {
        throw registryDown(url.toString(), e);
      }
      // any other answer: a registry is there
    } catch (RuntimeException e) {
      throw registryDown(url.toString(), e);
    }
  }

  /**
   * Fails at once, naming the servers, when none of the bootstrap servers accepts a TCP connection
   * (a dead broker: the Kafka clients would retry for the whole timeout).
   */
  static void requireListening(String bootstrap) {
    if (bootstrap == null || bootstrap.isBlank()) {
      return; // the client reports a missing bootstrap.servers itself
    }
    Throwable last = null;
    for (String server : bootstrap.split(",")) {
      String hp = server.trim();
      int slash = hp.indexOf("://");
      if (slash >= 0) {
        hp = hp.substring(slash + 3); // listener-name://host:port
      }
      int colon = hp.lastIndexOf(':');
      if (colon <= 0) {
        return; // not host:port; leave it to the client
      }
      String host = hp.substring(0, colon).replace("[", "").replace("]", "");
      int port;
      try {
        port = Integer.parseInt(hp.substring(colon + 1));
      } catch (NumberFormatException e) {
        return;
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
        return; // someone listens; the broker's answer is checked next
      } catch (IOException e) {
        last = e;
      }
    }
    throw new UnavailableException(
        "Kafka broker at "
            + bootstrap
            + " does not answer ("
            + oneLine(last)
            + "): start it (salientstream local) or set --bootstrap-servers /"
            + " KAFKA_BOOTSTRAP_SERVERS",
        last);
  }

  /** The one line for a registry that does not answer. */
  public static UnavailableException registryDown(String url, Throwable cause) {
    return new UnavailableException(
        "schema registry at "
            + url
            + " does not answer ("
            + oneLine(cause)
            + "): start it (salientstream local) or set --registry-url / SALIENTSTREAM_REGISTRY_URL",
        cause);
  }

  private static UnavailableException brokerDown(String bootstrap, Duration timeout, Throwable e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    String why = oneLine(cause);
    return new UnavailableException(
        "Kafka broker at "
            + bootstrap
            + " does not answer within "
            + timeout.toSeconds()
            + " s"
            + (why.equals("timed out") ? "" : " (" + why + ")")
            + ": start it (salientstream local) or set --bootstrap-servers /"
            + " KAFKA_BOOTSTRAP_SERVERS",
        cause);
  }

  /**
   * Checks that nothing listens on {@code port} (0: any free port, nothing to check).
   *
   * @param what what would listen there, e.g. "Kafka broker"
   * @param flag the option that chooses the port, e.g. "--kafka-port"
   * @throws UnavailableException naming the port, what wanted it and the option to change it
   */
  public static void requirePortFree(int port, String what, String flag) {
    if (port == 0) {
      return;
    }
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(port));
    } catch (IOException e) {
      throw new UnavailableException(
          "port "
              + port
              + " ("
              + what
              + ") is in use: stop what listens there or choose another port with "
              + flag,
          e);
    }
  }

  /** An admin client whose calls give up after {@code timeout}. */
  public static Admin admin(Map<String, ?> config, Duration timeout) {
    Map<String, Object> c = new HashMap<>(LayeredConfig.kafkaClientProperties(config));
    int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    c.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
    c.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(ms, 5_000));
    // one reconnect attempt a second, not a burst of warnings per 50 ms
    c.putIfAbsent(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 1_000);
    c.putIfAbsent(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 5_000);
    try {
      return Admin.create(c);
    } catch (KafkaException e) {
      throw new UnavailableException(
          "cannot create a Kafka client for bootstrap servers "
              + bootstrap(config)
              + " ("
              + oneLine(e.getCause() != null ? e.getCause() : e)
              + "): check --bootstrap-servers / KAFKA_BOOTSTRAP_SERVERS",
          e);
    }
  }

  private static String bootstrap(Map<String, ?> config) {
    Object b = config.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
    return b == null ? "(no bootstrap.servers)" : b.toString();
  }

  /**
   * What went wrong, in words, on one line: the innermost cause's message, "connection refused" or
   * "timed out" for those, never a bare exception class name.
   */
  static String oneLine(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root instanceof ConnectException) {
      return "connection refused";
    }
    if (root instanceof TimeoutException
        || root instanceof HttpTimeoutException
        || root
            instanceof
            org.apache.kafka.common.errors.TimeoutException) { // qualified: two TimeoutExceptions
      return "timed out";
    }
    if (root instanceof UnknownHostException) {
      return "unknown host " + root.getMessage();
    }
    String m = root.getMessage() == null ? "no answer" : root.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
