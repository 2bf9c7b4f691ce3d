#!/bin/sh
# Install (or remove) the fpsdesk bundle this script sits in, with its menu entry and icons.
#
#   ./install.sh                 # for the current user: ~/.local/opt/fpsdesk, ~/.local/bin,
#                                # ~/.local/share/{applications,icons,metainfo}
#   sudo ./install.sh --system   # for everyone: /opt/fpsdesk, /usr/local/bin, /usr/local/share
#   ./install.sh --prefix DIR    # under DIR (DIR/opt/fpsdesk, DIR/bin, DIR/share)
#   ./install.sh --uninstall [--system | --prefix DIR]
#
# Plain POSIX sh and coreutils, so it runs on any Linux the bundle runs on.
set -eu

APP_ID=io.github.fpsdesk.FpsDesk
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=$HOME/.local
OPT_DIR=
MODE=install

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --system) PREFIX=/usr/local; OPT_DIR=/opt/fpsdesk ;;
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }
              PREFIX=$2; shift ;;
    --uninstall) MODE=uninstall ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

OPT_DIR=${OPT_DIR:-$PREFIX/opt/fpsdesk}
BIN_DIR=$PREFIX/bin
SHARE=$PREFIX/share
SIZES="16 24 32 48 64 128 256 512"

refresh_caches() {
  # Best effort: desktops also notice new files on their own.
  command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database -q "$SHARE/applications" 2>/dev/null || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$SHARE/icons/hicolor/index.theme" ] \
    && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" 2>/dev/null || true
}

if [ "$MODE" = uninstall ]; then
  rm -f "$BIN_DIR/fpsdesk" "$SHARE/applications/$APP_ID.desktop" \
        "$SHARE/metainfo/$APP_ID.metainfo.xml" "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
  for size in $SIZES; do rm -f "$SHARE/icons/hicolor/${size}x${size}/apps/$APP_ID.png"; done
  rm -rf "$OPT_DIR"
  refresh_caches
  echo "fpsdesk removed from $PREFIX (your settings and history in ~/.config/fpsdesk and"
  echo "~/.local/share/fpsdesk are kept; delete them by hand if you want them gone)."
  exit 0
fi

[ -x "$HERE/fpsdesk" ] && [ -d "$HERE/_internal" ] \
  || { echo "install.sh: run me from the unpacked fpsdesk bundle (fpsdesk and _internal/ beside me)" >&2; exit 1; }

if [ "$HERE" != "$OPT_DIR" ]; then
  mkdir -p "$(dirname "$OPT_DIR")"
  rm -rf "$OPT_DIR.new"
  cp -a "$HERE" "$OPT_DIR.new"
  rm -rf "$OPT_DIR"
  mv "$OPT_DIR.new" "$OPT_DIR"
fi

mkdir -p "$BIN_DIR" "$SHARE/applications" "$SHARE/metainfo" "$SHARE/icons/hicolor/scalable/apps"
ln -sf "$OPT_DIR/fpsdesk" "$BIN_DIR/fpsdesk"
for size in $SIZES; do
  mkdir -p "$SHARE/icons/hicolor/${size}x${size}/apps"
  cp "$OPT_DIR/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png" \
     "$SHARE/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
cp "$OPT_DIR/share/icons/hicolor/scalable/apps/$APP_ID.svg" "$SHARE/icons/hicolor/scalable/apps/"
cp "$OPT_DIR/share/metainfo/$APP_ID.metainfo.xml" "$SHARE/metainfo/"
# The menu may not have ~/.local/bin on its PATH: point Exec/TryExec at the installed binary.
sed -e "s|^Exec=fpsdesk|Exec=$OPT_DIR/fpsdesk|" -e "s|^TryExec=fpsdesk|TryExec=$OPT_DIR/fpsdesk|" \
  "$OPT_DIR/share/applications/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"
refresh_caches

echo "fpsdesk installed in $OPT_DIR"
echo "  menu entry: $SHARE/applications/$APP_ID.desktop"
echo "  command:    $BIN_DIR/fpsdesk   (try: fpsdesk --sandbox)"
case ":$PATH:" in *":$BIN_DIR:"*) ;; *) echo "  note: $BIN_DIR is not on your PATH" ;; esac
