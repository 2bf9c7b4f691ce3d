<?xml version='1.0' encoding='UTF-8'?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>BulkCancelDialog</name>
    <message numerus="yes">
        <source>Resume bulk run #{job}: cancel the {n} transaction(s) left?</source>
        <translation>
            <numerusform>Resume bulk run #{job}: cancel the {n} transaction left?</numerusform><numerusform>Resume bulk run #{job}: cancel the {n} transactions left?</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Cancel {n} transaction(s)?</source>
        <translation>
            <numerusform>Cancel {n} transaction?</numerusform><numerusform>Cancel {n} transactions?</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Cancel {n} transaction(s)</source>
        <translation>
            <numerusform>Cancel {n} transaction</numerusform><numerusform>Cancel {n} transactions</numerusform></translation>
    </message>
    </context>
<context>
    <name>BulkView</name>
    <message numerus="yes">
        <source>From {source} · {lines} line(s) read on {env}</source>
        <translation>
            <numerusform>From {source} · {lines} line read on {env}</numerusform><numerusform>From {source} · {lines} lines read on {env}</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Cancel {n} transaction(s)…</source>
        <translation>
            <numerusform>Cancel {n} transaction…</numerusform><numerusform>Cancel {n} transactions…</numerusform></translation>
    </message>
    </context>
<context>
    <name>CancelPresenter</name>
    <message numerus="yes">
        <source>{n} finished cancel(s) not seen yet</source>
        <translation>
            <numerusform>{n} finished cancel not seen yet</numerusform><numerusform>{n} finished cancels not seen yet</numerusform></translation>
    </message>
    </context>
<context>
    <name>CheckingPage</name>
    <message numerus="yes">
        <source>Dry run: reading {n} transaction(s)…</source>
        <translation>
            <numerusform>Dry run: reading {n} transaction…</numerusform><numerusform>Dry run: reading {n} transactions…</numerusform></translation>
    </message>
    </context>
<context>
    <name>DonePanel</name>
    <message numerus="yes">
        <source> · {n} line(s) skipped in the dry run</source>
        <translation>
            <numerusform> · {n} line skipped in the dry run</numerusform><numerusform> · {n} lines skipped in the dry run</numerusform></translation>
    </message>
    </context>
<context>
    <name>NotificationsView</name>
    <message numerus="yes">
        <source>{n} notification(s)</source>
        <translation>
            <numerusform>{n} notification</numerusform><numerusform>{n} notifications</numerusform></translation>
    </message>
    </context>
<context>
    <name>PlanPanel</name>
    <message numerus="yes">
        <source>{n} line(s) without a usable transaction ID:</source>
        <translation>
            <numerusform>{n} line without a usable transaction ID:</numerusform><numerusform>{n} lines without a usable transaction ID:</numerusform></translation>
    </message>
</context>
<context>
    <name>RunSteps</name>
    <message numerus="yes">
        <source>Bulk run #{job}: cancelling {n} transaction(s)</source>
        <translation>
            <numerusform>Bulk run #{job}: cancelling {n} transaction</numerusform><numerusform>Bulk run #{job}: cancelling {n} transactions</numerusform></translation>
    </message>
    </context>
<context>
    <name>SearchView</name>
    <message numerus="yes">
        <source>Searching… {pages} page(s) read from FPS</source>
        <translation>
            <numerusform>Searching… {pages} page read from FPS</numerusform><numerusform>Searching… {pages} pages read from FPS</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>, {scanned} transaction(s) looked at</source>
        <translation>
            <numerusform>, {scanned} transaction looked at</numerusform><numerusform>, {scanned} transactions looked at</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>, {matches} match(es)</source>
        <translation>
            <numerusform>, {matches} match</numerusform><numerusform>, {matches} matches</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>, {n} detail(s) read for e-mails</source>
        <translation>
            <numerusform>, {n} detail read for e-mails</numerusform><numerusform>, {n} details read for e-mails</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Stopped: {matches} match(es) so far</source>
        <translation>
            <numerusform>Stopped: {matches} match so far</numerusform><numerusform>Stopped: {matches} matches so far</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>{matches} match(es)</source>
        <translation>
            <numerusform>{matches} match</numerusform><numerusform>{matches} matches</numerusform></translation>
    </message>
    <message numerus="yes">
        <source> in {scanned} transaction(s)</source>
        <translation>
            <numerusform> in {scanned} transaction</numerusform><numerusform> in {scanned} transactions</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>{n} page(s) read from FPS now</source>
        <translation>
            <numerusform>{n} page read from FPS now</numerusform><numerusform>{n} pages read from FPS now</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>{n} match(es)</source>
        <translation>
            <numerusform>{n} match</numerusform><numerusform>{n} matches</numerusform></translation>
    </message>
    </context>
<context>
    <name>TransactionView</name>
    <message numerus="yes">
        <source>⚠ {n} thing(s) to check: {flags}</source>
        <translation>
            <numerusform>⚠ {n} thing to check: {flags}</numerusform><numerusform>⚠ {n} things to check: {flags}</numerusform></translation>
    </message>
    </context>
<context>
    <name>ViewsMixin</name>
    <message numerus="yes">
        <source>{n} transaction(s) selected in Search</source>
        <translation>
            <numerusform>{n} transaction selected in Search</numerusform><numerusform>{n} transactions selected in Search</numerusform></translation>
    </message>
    </context>
</TS>