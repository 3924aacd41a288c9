# Shared by bench/run and bench/soak (sourced, not run): tools, the build, a loaded database, a running
# `carebox serve` on loopback and a signed-in patient. The sourcing script sets `work` (a temporary folder) first.

ticks=$(getconf CLK_TCK)
server=""

# On any exit, a failed step included: stop the server and the PostgreSQL cluster this script started.
bench_cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    if [ -n "${CAREBOX_PG_DIR:-}" ]; then scripts/postgres-cluster stop || true; fi
}
trap bench_cleanup EXIT

bench_tools() {
    command -v wrk >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
}

# Sets `bin`: BENCH_BIN if given (e.g. a debug build), otherwise a release build of carebox made here.
bench_build() {
    if [ -n "${BENCH_BIN:-}" ]; then
        bin=$BENCH_BIN
        echo "== Using $bin"
    else
        echo "== Release build"
        swift build -c release --product carebox >/dev/null
        bin=$(swift build -c release --show-bin-path)/carebox
    fi
}

# "release" or "debug", from the binary's folder.
bench_build_kind() { case "$bin" in */debug/*) echo debug ;; */release/*) echo release ;; *) echo custom ;; esac; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
peak_kb() { awk '/VmHWM/ { print $2 }' "/proc/$1/status"; }
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
thread_count() { awk '/^Threads/ { print $2 }' "/proc/$1/status"; }

# A throwaway, durable PostgreSQL 15 cluster (fsync=on, synchronous_commit=on); exports DATABASE_URL. Stopped by
# bench_postgres_stop, or on exit.
bench_postgres_start() {
    eval "$(CAREBOX_PG_DURABLE=1 scripts/postgres-cluster start)"
    export CAREBOX_PG_DIR CAREBOX_PG_SOCKET CAREBOX_PG_PORT
    scripts/postgres-cluster psql -q -c "CREATE EXTENSION IF NOT EXISTS pgcrypto" >/dev/null 2>&1 || true
}

bench_postgres_stop() {
    scripts/postgres-cluster stop
    unset DATABASE_URL CAREBOX_PG_DIR CAREBOX_PG_SOCKET CAREBOX_PG_PORT
}

# Signs USERNAME in through the web form into the cookie jar JAR and prints the CSRF token of the signed-in session
# (the one its pages' forms carry: it is bound to the session, so the sign-in form's token no longer works).
bench_sign_in() { # username jar
    local csrf
    csrf=$(curl -s -c "$2" -b "$2" "$base/sign-in" | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//;s/"//')
    curl -s -L -c "$2" -b "$2" --data-urlencode "csrf_token=$csrf" --data-urlencode "username=$1" \
        --data-urlencode password=carebox-bench "$base/sign-in" \
        | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//'
}

# Loads a fresh database of `size` messages, starts `carebox serve` on a free loopback port and signs a patient in.
# Sets the globals `db`, `size`, `server` (its pid), `base` (its address), `conversation`, `BENCH_REPLY_ID` and the
# function `query`; exports what bench/*.lua read: BENCH_TOKEN, BENCH_COOKIE, BENCH_CONVERSATION, BENCH_SEARCH,
# BENCH_REPLY, BENCH_RUN. Extra server environment (NAME=value …) may follow `size`.
bench_prepare() { # db size [NAME=value …]
    db=$1 size=$2
    shift 2
    # The care team's tokens are made with a password alone: sign-in is not what is measured.
    local env=(CAREBOX_LOG_LEVEL=warning CAREBOX_STAFF_TWO_FACTOR=optional CAREBOX_PUBLIC_URL=http://127.0.0.1
        CAREBOX_BLOB_DIR="$work/blobs-$db-$size"
        CAREBOX_ATTACHMENT_KEY="$(head -c 32 /dev/urandom | base64)")
    if [ "$db" = sqlite ]; then
        env=(-u DATABASE_URL "${env[@]}" CAREBOX_SQLITE_PATH="$work/bench-$size.sqlite")
        rm -f "$work/bench-$size.sqlite" "$work/bench-$size.sqlite-wal" "$work/bench-$size.sqlite-shm"
        query() { sqlite3 "$work/bench-$size.sqlite" "$1"; }
    else
        env+=(DATABASE_URL="$DATABASE_URL")
        query() { scripts/postgres-cluster psql -At -c "$1"; }
    fi
    echo "== $db, $size messages: loading"
    env "${env[@]}" "$bin" bench-data --messages "$size" 2>&1 | grep -v Migrator | tail -1
    # PostgreSQL: statistics and visibility maps as autovacuum keeps them in service, rather than it catching up with
    # the bulk load in the middle of the measurements.
    if [ "$db" = postgres ]; then query "VACUUM ANALYZE" >/dev/null; fi
    port=$(free_port)
    base="http://127.0.0.1:$port"
    env "${env[@]}" "$@" "$bin" serve --hostname 127.0.0.1 --port "$port" >"$work/server-$db-$size.log" 2>&1 &
    server=$!
    for _ in $(seq 1 150); do curl -fsS -o /dev/null "$base/sign-in" 2>/dev/null && break; sleep 0.2; done

    # The same kind of patient at every size, so sizes compare like for like: three conversations, one of them of
    # about 30 messages, and no proxy grant of their own. Signed in, with an API token.
    read -r conversation username < <(query "SELECT c.id || ' ' || u.username FROM conversations c JOIN users u ON u.id = c.patient_id JOIN messages m ON m.conversation_id = c.id WHERE (SELECT count(*) FROM conversations o WHERE o.patient_id = c.patient_id) = 3 AND NOT EXISTS (SELECT 1 FROM proxy_grants g WHERE g.proxy_id = c.patient_id) GROUP BY c.id, u.username HAVING count(*) BETWEEN 20 AND 50 ORDER BY abs(count(*) - 30), c.id LIMIT 1" | tr '|' ' ')
    local jar="$work/cookies-$db-$size" csrf type reply_target
    csrf=$(bench_sign_in "$username" "$jar")
    BENCH_TOKEN=$(curl -s -b "$jar" -X POST -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
        -d '{"name":"bench"}' "$base/api/v1/tokens" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    BENCH_COOKIE=$(awk '$6 == "carebox_session" { print "carebox_session=" $7 }' "$jar")
    type=$(curl -s -H "Authorization: Bearer $BENCH_TOKEN" "$base/api/v1/message-types" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
    # Replies go to another of the patient's conversations, so the one opened keeps its 20–50 messages.
    reply_target=$(query "SELECT id FROM conversations WHERE patient_id = (SELECT patient_id FROM conversations WHERE id = '$conversation') AND id <> '$conversation' LIMIT 1")
    BENCH_CONVERSATION="/api/v1/conversations/$conversation" BENCH_SEARCH="/api/v1/recipients?type=$type&q=Ava"
    BENCH_REPLY_ID=${reply_target:-$conversation}
    BENCH_REPLY="/api/v1/conversations/$BENCH_REPLY_ID/messages"
    BENCH_RUN="$db-$size-$$"

    # The care team's side: the provider who is the direct recipient of the most conversations, signed in with a token,
    # and up to 50 of those conversations to reply in (each reply tells the patient side by email, through the outbox).
    local provider provider_jar provider_csrf
    provider=$(query "SELECT u.username FROM conversations c JOIN users u ON u.id = c.recipient_provider_id GROUP BY u.username ORDER BY count(*) DESC, u.username LIMIT 1")
    provider_jar="$work/cookies-$db-$size-provider"
    provider_csrf=$(bench_sign_in "$provider" "$provider_jar")
    BENCH_CARE_TOKEN=$(curl -s -b "$provider_jar" -X POST -H "X-CSRF-Token: $provider_csrf" \
        -H 'Content-Type: application/json' -d '{"name":"bench"}' "$base/api/v1/tokens" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    BENCH_CARE_REPLIES=$(query "SELECT '/api/v1/conversations/' || id || '/messages' FROM conversations WHERE recipient_provider_id = (SELECT id FROM users WHERE username = '$provider') ORDER BY id LIMIT 50" | tr '\n' ' ')
    export BENCH_TOKEN BENCH_COOKIE BENCH_CONVERSATION BENCH_SEARCH BENCH_REPLY BENCH_RUN BENCH_CARE_TOKEN BENCH_CARE_REPLIES
}

bench_stop_server() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
}
