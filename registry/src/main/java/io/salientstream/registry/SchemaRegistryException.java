package io.salientstream.registry;

/**
 * An error answered by a schema registry, in Confluent's terms: the HTTP status, Confluent's
 * numeric {@code error_code} and the server's message. Subclasses name the common cases so callers
 * can catch them.
 */
public class SchemaRegistryException extends RuntimeException {
  private final int httpStatus;
  private final int errorCode;

  public SchemaRegistryException(int httpStatus, int errorCode, String message) {
    this(httpStatus, errorCode, message, null);
  }

  public SchemaRegistryException(int httpStatus, int errorCode, String message, Throwable cause) {
    super(message + " (HTTP " + httpStatus + ", error_code " + errorCode + ")", cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  /** HTTP status of the answer (404, 409, 422, 500 ...); 0 when no server answered. */
  public int httpStatus() {
    return httpStatus;
  }

  /** Confluent's error code (40401, 409, 42201 ...); see {@link ErrorCodes}. */
  public int errorCode() {
    return errorCode;
  }

  /** The server's message without the status suffix. */
  public String serverMessage() {
    String m = getMessage();
    int i = m.lastIndexOf(" (HTTP ");
    return i < 0 ? m : m.substring(0, i);
  }

  /** Maps an error answer to the most specific exception type. */
  public static SchemaRegistryException of(int httpStatus, int errorCode, String message) {
    return switch (errorCode) {
      case ErrorCodes.SUBJECT_NOT_FOUND -> new SubjectNotFoundException(httpStatus, message);
      case ErrorCodes.VERSION_NOT_FOUND -> new VersionNotFoundException(httpStatus, message);
      case ErrorCodes.SCHEMA_NOT_FOUND -> new SchemaNotFoundException(httpStatus, message);
      case ErrorCodes.INCOMPATIBLE_SCHEMA -> new IncompatibleSchemaException(httpStatus, message);
      case ErrorCodes.INVALID_SCHEMA -> new InvalidSchemaException(httpStatus, message);
      case ErrorCodes.INVALID_VERSION -> new InvalidVersionException(httpStatus, message);
      case ErrorCodes.INVALID_COMPATIBILITY_LEVEL ->
          new InvalidCompatibilityLevelException(httpStatus, message);
      case ErrorCodes.STORE_ERROR, ErrorCodes.OPERATION_TIMEOUT, ErrorCodes.FORWARDING_ERROR ->
          new RegistryStoreException(httpStatus, errorCode, message);
      default -> new SchemaRegistryException(httpStatus, errorCode, message);
    };
  }

  /** 40401: the subject does not exist (or is soft-deleted). */
  public static final class SubjectNotFoundException extends SchemaRegistryException {
    public SubjectNotFoundException(int httpStatus, String message) {
      super(httpStatus, ErrorCodes.SUBJECT_NOT_FOUND, message);
    }
  }

  /** 40402: the subject exists but not that version. */
  public static final class VersionNotFoundException extends SchemaRegistryException {
    public VersionNotFoundException(int httpStatus, String message) {
      super(httpStatus, ErrorCodes.VERSION_NOT_FOUND, message);
    }
  }

  /** 40403: no schema with that id, or the schema is not registered under the subject. */
  public static final class SchemaNotFoundException extends SchemaRegistryException {
    public SchemaNotFoundException(int httpStatus, String message) {
      super(httpStatus, ErrorCodes.SCHEMA_NOT_FOUND, message);
    }
  }

  /** 409: the schema breaks the subject's compatibility level. */
  public static final class IncompatibleSchemaException extends SchemaRegistryException {
    public IncompatibleSchemaException(int httpStatus, String message) {
      super(httpStatus, ErrorCodes.INCOMPATIBLE_SCHEMA, message);
    }
  }

  /** 42201: the schema text is not a valid Avro schema (or not an Avro schema at all). */
  public static final class InvalidSchemaException extends SchemaRegistryException {
    public InvalidSchemaException(int httpStatus, String message) {
      super(httpStatus, ErrorCodes.INVALID_SCHEMA, message);
    }
  }

  /** 42202: the version is not a positive integer, "latest" or -1. */
  public static final class InvalidVersionException extends SchemaRegistryException {
    public InvalidVersionException(int httpStatus, String message) {
      super(httpStatus, ErrorCodes.INVALID_VERSION, message);
    }
  }

  /** 42203: unknown compatibility level. */
  public static final class InvalidCompatibilityLevelException extends SchemaRegistryException {
    public InvalidCompatibilityLevelException(int httpStatus, String message) {
      super(httpStatus, ErrorCodes.INVALID_COMPATIBILITY_LEVEL, message);
    }
  }

  /** 50001-50003: the registry could not read or write its store (or forward the request). */
  public static final class RegistryStoreException extends SchemaRegistryException {
    public RegistryStoreException(int httpStatus, int errorCode, String message) {
      super(httpStatus, errorCode, message);
    }
  }
}
