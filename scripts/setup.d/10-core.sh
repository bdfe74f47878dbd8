# Build tools and the libraries the core links: always needed.
dli_apt build-essential cmake pkg-config git ca-certificates \
  nlohmann-json3-dev libyaml-cpp-dev libsqlite3-dev libssl-dev libgtest-dev libcli11-dev \
  python3 python3-venv python3-dev python3-jsonschema
