#!/usr/bin/env bash
# Makes the certificates of the TLS tests with openssl, into DIR:
#   ca.pem/ca.key            the test CA
#   other-ca.pem/.key        an unrelated CA (the "wrong CA")
#   server.pem/.key          127.0.0.1 / localhost, signed by ca
#   server2.pem/.key         the same names, signed by other-ca (a renewal)
#   client.pem/.key          CN=marketing-sync, signed by ca
#   rogue-client.pem/.key    CN=rogue, signed by other-ca
#   expired-client.pem/.key  CN=expired, signed by ca, valid 2020-01-01..02
#   expired-server.pem/.key  signed by ca, valid 2020-01-01..02
# Expired certificates come from `openssl ca -startdate/-enddate` (x509's
# -days cannot go back in time).
#
#   make_test_certs.sh DIR
set -euo pipefail
dir="$1"
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }

ca() {  # name subject
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days 30 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem" 2>/dev/null
}

cat > server-ext.cnf <<'CNF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
CNF
cat > client-ext.cnf <<'CNF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
CNF

leaf() {  # name subject ca ext
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 30 -sha256 -extfile "$4" -out "$1.pem" 2>/dev/null
}

expired() {  # name subject ca ext
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  rm -rf "ca-db-$1" && mkdir -p "ca-db-$1/new"
  : > "ca-db-$1/index.txt"
  openssl rand -hex 8 > "ca-db-$1/serial"
  cat > "ca-$1.cnf" <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = ca-db-$1/index.txt
new_certs_dir = ca-db-$1/new
serial = ca-db-$1/serial
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
CNF
  openssl ca -batch -notext -config "ca-$1.cnf" -cert "$3.pem" -keyfile "$3.key" \
    -in "$1.csr" -out "$1.pem" -extfile "$4" \
    -startdate 20200101000000Z -enddate 20200102000000Z 2>/dev/null
}

ca ca "quorum test CA"
ca other-ca "someone else's CA"
leaf server "/CN=quorumd" ca server-ext.cnf
leaf server2 "/CN=quorumd renewed" other-ca server-ext.cnf
leaf client "/O=Acme Labs/CN=marketing-sync" ca client-ext.cnf
leaf rogue-client "/CN=rogue" other-ca client-ext.cnf
expired expired-client "/CN=expired" ca client-ext.cnf
expired expired-server "/CN=quorumd expired" ca server-ext.cnf
