#!/usr/bin/env bash
# Sign, package, notarise and staple dist/fpsdesk.app on a macOS build host.
#
# Prerequisites (once per machine; see docs/packaging.md):
#   - Xcode command-line tools (codesign, xcrun notarytool, stapler, hdiutil).
#   - A "Developer ID Application" certificate in the login keychain.
#   - Notary credentials stored as a keychain profile:
#       xcrun notarytool store-credentials fpsdesk-notary \
#         --apple-id you@example.com --team-id TEAMID --password <app-specific password>
#
# Usage:
#   FPSDESK_CODESIGN_IDENTITY="Developer ID Application: Name (TEAMID)" \
#     python3 packaging/build.py                      # PyInstaller signs every binary inside
#   FPSDESK_CODESIGN_IDENTITY="Developer ID Application: Name (TEAMID)" \
#     packaging/macos/sign_and_notarize.sh [notary-profile]
#
# A stable Developer ID signature matters beyond Gatekeeper: the macOS keychain ties "Always
# allow" to the signing identity, so users are not asked again after each update (keyring #512).
set -euo pipefail
cd "$(dirname "$0")/../.."

IDENTITY=${FPSDESK_CODESIGN_IDENTITY:?set FPSDESK_CODESIGN_IDENTITY to your Developer ID Application identity}
PROFILE=${1:-fpsdesk-notary}
APP=dist/fpsdesk.app
ENTITLEMENTS=packaging/macos/entitlements.plist
VERSION=$(python3 -c 'import re,pathlib;print(re.search(r"__version__ = \"(.+)\"", pathlib.Path("fpsdesk/__init__.py").read_text())[1])')
DMG=dist/fpsdesk-$VERSION-macos-$(uname -m).dmg

[ -d "$APP" ] || { echo "no $APP: run python3 packaging/build.py on macOS first" >&2; exit 1; }

echo "== sign nested code (frameworks, dylibs, .so) inside-out, then the app"
find "$APP/Contents" \( -name '*.dylib' -o -name '*.so' -o -perm -u+x -type f \) -print0 |
  while IFS= read -r -d '' f; do
    if file "$f" | grep -q 'Mach-O'; then
      codesign --force --timestamp --options runtime --entitlements "$ENTITLEMENTS" \
        --sign "$IDENTITY" "$f"
    fi
  done
find "$APP/Contents" -name '*.framework' -type d -print0 |
  xargs -0 -I{} codesign --force --timestamp --options runtime --sign "$IDENTITY" {}
codesign --force --timestamp --options runtime --entitlements "$ENTITLEMENTS" \
  --sign "$IDENTITY" "$APP"

echo "== verify (qt-anchors §10: Qt frameworks are where signatures break)"
codesign --verify --deep --strict --verbose=2 "$APP"
spctl --assess --type execute --verbose "$APP" || true  # fails until notarised; shown for the log

echo "== smoke-test the signed app"
"$APP/Contents/MacOS/fpsdesk" --smoke-test

echo "== disk image"
rm -f "$DMG"
hdiutil create -volname "fpsdesk $VERSION" -srcfolder "$APP" -ov -format UDZO "$DMG"
codesign --force --timestamp --sign "$IDENTITY" "$DMG"

echo "== notarise (waits for Apple's verdict) and staple"
xcrun notarytool submit "$DMG" --keychain-profile "$PROFILE" --wait
xcrun stapler staple "$DMG"
xcrun stapler validate "$DMG"
spctl --assess --type open --context context:primary-signature --verbose "$DMG"

echo "== smoke-test again from the mounted image"
MOUNT=$(mktemp -d)
hdiutil attach "$DMG" -mountpoint "$MOUNT" -nobrowse -quiet
trap 'hdiutil detach "$MOUNT" -quiet || true' EXIT
"$MOUNT/fpsdesk.app/Contents/MacOS/fpsdesk" --smoke-test
echo "signed, notarised and stapled: $DMG"
