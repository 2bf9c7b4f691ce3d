; Inno Setup 6 script: wraps the PyInstaller one-folder build (dist\fpsdesk\) in a per-user or
; per-machine installer with Start-menu entry and uninstaller.
;
; Build on Windows, after `py packaging\build.py`:
;     iscc /DAppVersion=0.1.0 packaging\windows\fpsdesk.iss
; Output: dist\fpsdesk-0.1.0-windows-x64-setup.exe. Sign it (and dist\fpsdesk\*.exe before
; this step) with signtool; see docs/packaging.md.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "fpsdesk"
#define SourceDir "..\..\dist\fpsdesk"

[Setup]
; A fixed AppId keeps upgrades in place: never change it.
AppId={{6F1C2A7E-5B0D-4C6B-9E57-0F2D8A4B9C31}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The fpsdesk developers
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Support staff often lack admin rights: install per user unless they choose otherwise.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\fpsdesk.ico
UninstallDisplayIcon={app}\fpsdesk.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: fpsdesk.exe (windowed), fpsdesk-cli.exe (console) and _internal\.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\fpsdesk.exe"
Name: "{autoprograms}\{#AppName} (demo sandbox)"; Filename: "{app}\fpsdesk.exe"; Parameters: "--sandbox"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\fpsdesk.exe"; Tasks: desktopicon

[Run]
; Prove the install works before the user relies on it (headless, exits by itself).
Filename: "{app}\fpsdesk-cli.exe"; Parameters: "--smoke-test"; StatusMsg: "Checking the installation..."; Flags: runhidden waituntilterminated
Filename: "{app}\fpsdesk.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the installer put there; the user's settings and history (in %APPDATA%\fpsdesk
; and %LOCALAPPDATA%\fpsdesk) and their keychain entries are deliberately kept.
Type: filesandordirs; Name: "{app}\_internal"
