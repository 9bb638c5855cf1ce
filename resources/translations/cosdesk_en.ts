<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>Adding %n item(s) to %1…</source>
        <translation>
            <numerusform>Adding %n item to %1…</numerusform>
            <numerusform>Adding %n items to %1…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item(s) could not be added</source>
        <translation>
            <numerusform>%n item could not be added</numerusform>
            <numerusform>%n items could not be added</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item(s) could not be added:</source>
        <translation>
            <numerusform>%n item could not be added:</numerusform>
            <numerusform>%n items could not be added:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) uploaded.</source>
        <translation>
            <numerusform>%n file uploaded.</numerusform>
            <numerusform>%n files uploaded.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Cancel %n uploads? Parts already sent are deleted from the server.</source>
        <translation>
            <numerusform>Cancel %n upload? Parts already sent are deleted from the server.</numerusform>
            <numerusform>Cancel %n uploads? Parts already sent are deleted from the server.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Copied %n key(s)</source>
        <translation>
            <numerusform>Copied %n key</numerusform>
            <numerusform>Copied %n keys</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Copied %n URL(s)</source>
        <translation>
            <numerusform>Copied %n URL</numerusform>
            <numerusform>Copied %n URLs</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Copied %n pre-signed URL(s), valid for %1</source>
        <translation>
            <numerusform>Copied %n pre-signed URL, valid for %1</numerusform>
            <numerusform>Copied %n pre-signed URLs, valid for %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n day(s)</source>
        <translation>
            <numerusform>%n day</numerusform>
            <numerusform>%n days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n hour(s)</source>
        <translation>
            <numerusform>%n hour</numerusform>
            <numerusform>%n hours</numerusform>
        </translation>
    </message>
</context>
</TS>
