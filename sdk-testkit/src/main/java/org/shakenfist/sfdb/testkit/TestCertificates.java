package org.shakenfist.sfdb.testkit;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throw-away certificates for TLS tests, made in-process with Bouncy Castle (no {@code openssl} command): a CA,
 * a server certificate it signs for {@code 127.0.0.1}-{@code 127.0.0.5}, {@code ::1} and {@code localhost}, a
 * client certificate it signs (for mTLS), and an unrelated CA (for "wrong CA" tests). Keys are PKCS#8 PEM
 * ({@code BEGIN PRIVATE KEY}); certificates are valid for 2 days. Needs {@code org.bouncycastle:bcpkix-jdk18on}
 * on the test classpath (an optional dependency of the testkit).
 *
 * <pre>{@code
 * TestCertificates certs = TestCertificates.generate(tempDir);
 * var server = TlsServerCredentials.newBuilder().keyManager(certs.serverCert().toFile(), certs.serverKey().toFile())
 *     .trustManager(certs.ca().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
 * // client: SHAKENFIST_MARIADB_GATEWAY_TLS_CA=certs.ca(), ..._TLS_CERT=certs.clientCert(), ..._TLS_KEY=certs.clientKey()
 * }</pre>
 *
 * @param ca the CA certificate (PEM)
 * @param serverCert the server certificate (PEM), signed by {@code ca}
 * @param serverKey its key
 * @param clientCert a client certificate (PEM), signed by {@code ca}
 * @param clientKey its key
 * @param otherCa a CA that signed none of these
 */
public record TestCertificates(Path ca, Path serverCert, Path serverKey, Path clientCert, Path clientKey,
    Path otherCa) {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final List<String> SERVER_IPS = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4",
      "127.0.0.5", "::1");

  /** Empty when certificates can be made here; otherwise why not (Bouncy Castle missing from the classpath). */
  public static Optional<String> unavailableReason() {
    try {
      Class.forName("org.bouncycastle.cert.X509v3CertificateBuilder");
      return Optional.empty();
    } catch (ClassNotFoundException e) {
      return Optional.of("TestCertificates needs org.bouncycastle:bcpkix-jdk18on on the test classpath");
    }
  }

  /** Generates a fresh set into {@code dir}. */
  public static TestCertificates generate(Path dir) throws IOException {
    Files.createDirectories(dir);
    try {
      KeyPair caKey = rsa();
      X509Certificate ca = sign(new X500Name("CN=sfdb test CA"), caKey, new X500Name("CN=sfdb test CA"), caKey, true,
          null, null);
      KeyPair otherKey = rsa();
      X509Certificate other = sign(new X500Name("CN=sfdb unrelated CA"), otherKey,
          new X500Name("CN=sfdb unrelated CA"), otherKey, true, null, null);
      KeyPair serverKey = rsa();
      GeneralName[] names = new GeneralName[SERVER_IPS.size() + 1];
      for (int i = 0; i < SERVER_IPS.size(); i++) {
        names[i] = new GeneralName(GeneralName.iPAddress, SERVER_IPS.get(i));
      }
      names[SERVER_IPS.size()] = new GeneralName(GeneralName.dNSName, "localhost");
      X509Certificate server = sign(new X500Name("CN=sfdb test server"), serverKey, new X500Name("CN=sfdb test CA"),
          caKey, false, KeyPurposeId.id_kp_serverAuth, new GeneralNames(names));
      KeyPair clientKey = rsa();
      X509Certificate client = sign(new X500Name("CN=sfdb test client"), clientKey, new X500Name("CN=sfdb test CA"),
          caKey, false, KeyPurposeId.id_kp_clientAuth, null);
      TestCertificates out = new TestCertificates(dir.resolve("ca.pem"), dir.resolve("server.pem"),
          dir.resolve("server.key"), dir.resolve("client.pem"), dir.resolve("client.key"), dir.resolve("other-ca.pem"));
      write(out.ca(), ca);
      write(out.otherCa(), other);
      write(out.serverCert(), server);
      write(out.clientCert(), client);
      write(out.serverKey(), new JcaPKCS8Generator(serverKey.getPrivate(), null));
      write(out.clientKey(), new JcaPKCS8Generator(clientKey.getPrivate(), null));
      return out;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("could not make test certificates: " + e.getMessage(), e);
    }
  }

  private static KeyPair rsa() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048, RANDOM);
    return g.generateKeyPair();
  }

  private static X509Certificate sign(X500Name subject, KeyPair subjectKey, X500Name issuer, KeyPair issuerKey,
      boolean isCa, KeyPurposeId purpose, GeneralNames altNames)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    Instant now = Instant.now();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM),
        Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(2))), subject,
        subjectKey.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (purpose != null) {
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    }
    if (altNames != null) {
      b.addExtension(Extension.subjectAlternativeName, false, altNames);
    }
    ContentSigner signer = new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(b.build(signer));
  }

  private static void write(Path file, Object pemObject) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      pem.writeObject(pemObject);
    }
    Files.writeString(file, text.toString());
  }
}
