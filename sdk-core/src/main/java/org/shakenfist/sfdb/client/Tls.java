package org.shakenfist.sfdb.client;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;

/** The TLS files of a {@link DatabaseChannelConfig}: checked when set, turned into channel credentials. */
final class Tls {
  private Tls() {}

  /** A readable PEM file with at least one X.509 certificate. */
  static Path certificates(String setting, Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
        throw new DatabaseConfigException(setting, file.toString(), "holds no PEM certificate");
      }
      return file;
    } catch (IOException e) {
      throw new DatabaseConfigException(setting, file.toString(), "cannot be read: " + e);
    } catch (CertificateException e) {
      throw new DatabaseConfigException(setting, file.toString(), "is not a PEM certificate file: " + e.getMessage());
    }
  }

  /** A readable PEM file with a PKCS#8 private key (what grpc-netty reads without extra libraries). */
  static Path privateKey(String setting, Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new DatabaseConfigException(setting, file.toString(), "cannot be read: " + e);
    }
    if (!text.contains("-----BEGIN PRIVATE KEY-----") && !text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      throw new DatabaseConfigException(setting, file.toString(), "holds no PEM PKCS#8 private key (BEGIN PRIVATE KEY); "
          + "convert a PKCS#1 key with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem");
    }
    return file;
  }

  /** Plaintext when no file is set; otherwise TLS, with a client certificate when cert and key are set. */
  static ChannelCredentials credentials(Path ca, Path cert, Path key) {
    if (ca == null && cert == null) {
      return InsecureChannelCredentials.create();
    }
    try {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
      if (ca != null) {
        tls.trustManager(ca.toFile());
      }
      if (cert != null) {
        tls.keyManager(cert.toFile(), key.toFile());
      }
      return tls.build();
    } catch (IOException e) {
      throw new DatabaseConfigException(ca != null ? "tlsCa" : "tlsCert", String.valueOf(ca != null ? ca : cert),
          "cannot be read: " + e);
    }
  }
}
