#!/bin/sh
# Install Realtime Inspector for the current user: menu entry, icons, AppStream metadata,
# and (when dist/realtime-inspector/ was built) the bundle itself. No root needed.
#
#   packaging/install-desktop.sh               # install (bundle if built, else the venv's command)
#   packaging/install-desktop.sh --exec PATH   # menu entry runs PATH; no bundle copied
#   packaging/install-desktop.sh --uninstall   # remove everything this script installed
#
# Honours XDG_DATA_HOME (default ~/.local/share) and XDG_BIN_HOME (default ~/.local/bin).
set -eu

APP=realtime-inspector
APP_ID=io.github.realtime_inspector
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=${XDG_BIN_HOME:-$HOME/.local/bin}
BUNDLE_SRC=$ROOT/dist/$APP
BUNDLE_DST=$DATA/$APP/bundle
SIZES="16 24 32 48 64 128 256 512"

usage() { sed -n '2,9s/^# \{0,1\}//p' "$0"; }
say() { printf '%s\n' "$*"; }
die() { printf 'install-desktop.sh: %s\n' "$*" >&2; exit 2; }

refresh_caches() {
    # Menus and icon themes notice new files by themselves on most desktops; these help the rest.
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$DATA/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$DATA/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$DATA/icons/hicolor" 2>/dev/null || true
    fi
}

uninstall() {
    rm -f "$DATA/applications/$APP.desktop" "$DATA/metainfo/$APP_ID.metainfo.xml" \
        "$DATA/icons/hicolor/scalable/apps/$APP.svg"
    for s in $SIZES; do rm -f "$DATA/icons/hicolor/${s}x${s}/apps/$APP.png"; done
    # The command link only if it is ours (points into our bundle).
    if [ -L "$BIN/$APP" ] && [ "$(readlink "$BIN/$APP")" = "$BUNDLE_DST/$APP" ]; then
        rm -f "$BIN/$APP"
    fi
    rm -rf "$DATA/$APP/bundle"
    rmdir "$DATA/$APP" 2>/dev/null || true
    refresh_caches
    say "removed $APP from $DATA"
}

# Desktop Entry spec: an Exec argument with reserved characters goes in double quotes.
# Paths with characters that would need escaping inside the quotes are refused.
exec_quote() {
    case $1 in
        *[\"\`\$\\]*) die "cannot put this path in a menu entry (contains \", \`, \$ or \\): $1" ;;
        *[[:space:]\'\;\&\|\<\>\~\*\?\#\(\)]*) printf '"%s"' "$1" ;;
        *) printf '%s' "$1" ;;
    esac
}

install_files() {
    exe=$1
    mkdir -p "$DATA/applications" "$DATA/metainfo" "$DATA/icons/hicolor/scalable/apps"
    quoted=$(exec_quote "$exe") || exit 2
    # '&' and the '|' delimiter are special in sed replacements ('\' was refused above).
    esc_exec=$(printf '%s' "$quoted" | sed 's/[&|]/\\&/g')
    esc_try=$(printf '%s' "$exe" | sed 's/[&|]/\\&/g')
    sed -e "s|^Exec=$APP |Exec=$esc_exec |" -e "s|^TryExec=.*|TryExec=$esc_try|" \
        "$HERE/$APP.desktop" > "$DATA/applications/$APP.desktop"
    chmod 644 "$DATA/applications/$APP.desktop"
    install -m 644 "$HERE/$APP_ID.metainfo.xml" "$DATA/metainfo/$APP_ID.metainfo.xml"
    install -m 644 "$ROOT/resources/$APP.svg" "$DATA/icons/hicolor/scalable/apps/$APP.svg"
    for s in $SIZES; do
        mkdir -p "$DATA/icons/hicolor/${s}x${s}/apps"
        install -m 644 "$ROOT/resources/icons/hicolor/${s}x${s}/apps/$APP.png" \
            "$DATA/icons/hicolor/${s}x${s}/apps/$APP.png"
    done
    refresh_caches
    say "installed the menu entry $DATA/applications/$APP.desktop (runs $exe)"
}

install_bundle() {
    [ -x "$BUNDLE_SRC/$APP" ] || die "no bundle at $BUNDLE_SRC: run 'make dist' first"
    rm -rf "$BUNDLE_DST.new"
    mkdir -p "$DATA/$APP"
    cp -a "$BUNDLE_SRC" "$BUNDLE_DST.new"
    rm -rf "$BUNDLE_DST"
    mv "$BUNDLE_DST.new" "$BUNDLE_DST"
    mkdir -p "$BIN"
    if [ -e "$BIN/$APP" ] && ! [ -L "$BIN/$APP" ]; then
        say "note: $BIN/$APP exists and is not ours; left it alone"
    else
        ln -sfn "$BUNDLE_DST/$APP" "$BIN/$APP"
        say "installed the bundle in $BUNDLE_DST, command $BIN/$APP"
        case ":$PATH:" in
            *":$BIN:"*) ;;
            *) say "note: $BIN is not on your PATH; the menu entry works regardless" ;;
        esac
    fi
}

EXEC=
MODE=install
while [ $# -gt 0 ]; do
    case $1 in
        --uninstall) MODE=uninstall ;;
        --exec) [ $# -ge 2 ] || die "--exec needs a path"; EXEC=$2; shift ;;
        --exec=*) EXEC=${1#--exec=} ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
    shift
done

if [ "$MODE" = uninstall ]; then
    uninstall
    exit 0
fi

if [ -n "$EXEC" ]; then
    [ -f "$EXEC" ] && [ -x "$EXEC" ] || die "not an executable: $EXEC"
    case $EXEC in /*) ;; *) EXEC=$(cd "$(dirname "$EXEC")" && pwd)/$(basename "$EXEC") ;; esac
elif [ -x "$BUNDLE_SRC/$APP" ]; then
    install_bundle
    EXEC=$BUNDLE_DST/$APP
elif [ -x "$ROOT/.venv/bin/$APP" ]; then
    EXEC=$ROOT/.venv/bin/$APP
elif command -v "$APP" >/dev/null 2>&1; then
    EXEC=$(command -v "$APP")
else
    die "nothing to install: run 'make dist' (bundle) or 'python3 packaging/dev.py app' (venv) first"
fi
install_files "$EXEC"
