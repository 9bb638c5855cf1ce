<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>BatchIntake</name>
    <message numerus="yes">
        <source>Nothing added: %n file(s) already there, skipped.</source>
        <translation>
            <numerusform>Nothing added: %n file already there, skipped.</numerusform>
            <numerusform>Nothing added: %n files already there, skipped.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Nothing added: %n file(s) already there and unchanged</source>
        <translation>
            <numerusform>Nothing added: %n file already there and unchanged</numerusform>
            <numerusform>Nothing added: %n files already there and unchanged</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Nothing added: %n file(s) already in the upload list.</source>
        <translation>
            <numerusform>Nothing added: %n file already in the upload list.</numerusform>
            <numerusform>Nothing added: %n files already in the upload list.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Added %n file(s) to %1</source>
        <translation>
            <numerusform>Added %n file to %1</numerusform>
            <numerusform>Added %n files to %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n skipped (already there)</source>
        <translation>
            <numerusform>%n file skipped (already there)</numerusform>
            <numerusform>%n files skipped (already there)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n renamed to keep both</source>
        <translation>
            <numerusform>%n file renamed to keep both</numerusform>
            <numerusform>%n files renamed to keep both</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n skipped (unchanged)</source>
        <translation>
            <numerusform>%n file skipped (unchanged)</numerusform>
            <numerusform>%n files skipped (unchanged)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n already in the upload list</source>
        <translation>
            <numerusform>%n file already in the upload list</numerusform>
            <numerusform>%n files already in the upload list</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>BatchStatus</name>
    <message numerus="yes">
        <source>%n canceled</source>
        <translation>
            <numerusform>%n file canceled</numerusform>
            <numerusform>%n files canceled</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n failed</source>
        <translation>
            <numerusform>%n file failed</numerusform>
            <numerusform>%n files failed</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) paused</source>
        <translation>
            <numerusform>%n file paused</numerusform>
            <numerusform>%n files paused</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) uploaded; </source>
        <translation>
            <numerusform>%n file uploaded; </numerusform>
            <numerusform>%n files uploaded; </numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n paused</source>
        <translation>
            <numerusform>%n file paused</numerusform>
            <numerusform>%n files paused</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n uploaded</source>
        <translation>
            <numerusform>%n file uploaded</numerusform>
            <numerusform>%n files uploaded</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n uploading</source>
        <translation>
            <numerusform>%n file uploading</numerusform>
            <numerusform>%n files uploading</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n waiting</source>
        <translation>
            <numerusform>%n file waiting</numerusform>
            <numerusform>%n files waiting</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>; %n failed</source>
        <translation>
            <numerusform>; %n file failed</numerusform>
            <numerusform>; %n files failed</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) uploaded.</source>
        <translation>
            <numerusform>%n file uploaded.</numerusform>
            <numerusform>%n files uploaded.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DuplicatesQuestion</name>
    <message numerus="yes">
        <source>Could not check whether the %n files you added are already there.</source>
        <translation>
            <numerusform>Could not check whether the %n file you added is already there.</numerusform>
            <numerusform>Could not check whether the %n files you added are already there.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n of the %1 files you added are already there.</source>
        <translation>
            <numerusform>%n of the %1 files you added is already there.</numerusform>
            <numerusform>%n of the %1 files you added are already there.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>• %n in %1</source>
        <translation>
            <numerusform>• %n file in %1</numerusform>
            <numerusform>• %n files in %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>• %n in the upload list (%1 not finished yet)</source>
        <translation>
            <numerusform>• %n file in the upload list (%1 not finished yet)</numerusform>
            <numerusform>• %n files in the upload list (%1 not finished yet)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>• %n in the upload list</source>
        <translation>
            <numerusform>• %n file in the upload list</numerusform>
            <numerusform>• %n files in the upload list</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>• %n added twice under the same name</source>
        <translation>
            <numerusform>• %n file added twice under the same name</numerusform>
            <numerusform>• %n files added twice under the same name</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more</source>
        <translation>
            <numerusform>… and %n more file</numerusform>
            <numerusform>… and %n more files</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>KeysBanner</name>
    <message numerus="yes">
        <source>%n upload(s) to account “%1” need its keys</source>
        <translation>
            <numerusform>%n upload to account “%1” needs its keys</numerusform>
            <numerusform>%n uploads to account “%1” need its keys</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Resuming %n upload(s) to “%1”.</source>
        <translation>
            <numerusform>Resuming %n upload to “%1”.</numerusform>
            <numerusform>Resuming %n uploads to “%1”.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
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
        <source>Cleared %n finished upload(s) from the list</source>
        <translation>
            <numerusform>Cleared %n finished upload from the list</numerusform>
            <numerusform>Cleared %n finished uploads from the list</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Saving the task list before quitting (%n change(s) left)…</source>
        <translation>
            <numerusform>Saving the task list before quitting (%n change left)…</numerusform>
            <numerusform>Saving the task list before quitting (%n changes left)…</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RemotePane</name>
    <message numerus="yes">
        <source>%Ln item(s)</source>
        <translation>
            <numerusform>%Ln item</numerusform>
            <numerusform>%Ln items</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Valid for %n day(s)</source>
        <translation>
            <numerusform>Valid for %n day</numerusform>
            <numerusform>Valid for %n days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Valid for %n hour(s)</source>
        <translation>
            <numerusform>Valid for %n hour</numerusform>
            <numerusform>Valid for %n hours</numerusform>
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
        <source>Copied %n pre-signed URL(s)</source>
        <translation>
            <numerusform>Copied %n pre-signed URL</numerusform>
            <numerusform>Copied %n pre-signed URLs</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more</source>
        <translation>
            <numerusform>… and %n more item</numerusform>
            <numerusform>… and %n more items</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %Ln object(s)?</source>
        <translation>
            <numerusform>Delete %Ln object?</numerusform>
            <numerusform>Delete %Ln objects?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleting %Ln object(s)…</source>
        <translation>
            <numerusform>Deleting %Ln object…</numerusform>
            <numerusform>Deleting %Ln objects…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %Ln object(s).</source>
        <translation>
            <numerusform>Deleted %Ln object.</numerusform>
            <numerusform>Deleted %Ln objects.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln object(s) could not be deleted</source>
        <translation>
            <numerusform>%Ln object could not be deleted</numerusform>
            <numerusform>%Ln objects could not be deleted</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RowCommands</name>
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
<context>
    <name>SyncDialog</name>
    <message numerus="yes">
        <source>%n file(s)</source>
        <translation>
            <numerusform>%n file</numerusform>
            <numerusform>%n files</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n folder(s)</source>
        <translation>
            <numerusform>%n folder</numerusform>
            <numerusform>%n folders</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %n remote file(s)?</source>
        <translation>
            <numerusform>Delete %n remote file?</numerusform>
            <numerusform>Delete %n remote files?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n remote file(s) deleted.</source>
        <translation>
            <numerusform>%n remote file deleted.</numerusform>
            <numerusform>%n remote files deleted.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TaskActions</name>
    <message numerus="yes">
        <source>Already sent: %1, by %n of these uploads. What they appended stays in the objects if you cancel; uploading again goes on after it.</source>
        <translation>
            <numerusform>Already sent: %1, by only %n of these uploads. What it appended stays in the object if you cancel; uploading again goes on after it.</numerusform>
            <numerusform>Already sent: %1, by %n of these uploads. What they appended stays in the objects if you cancel; uploading again goes on after it.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Already sent: %1, by %n of these uploads. Cancelling throws that away (objects already there under their names stay as they are); uploading again starts over.</source>
        <translation>
            <numerusform>Already sent: %1, by only %n of these uploads. Cancelling throws that away (objects already there under their names stay as they are); uploading again starts over.</numerusform>
            <numerusform>Already sent: %1, by %n of these uploads. Cancelling throws that away (objects already there under their names stay as they are); uploading again starts over.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Except what %n append(s) added: that stays, and uploading again goes on after it.</source>
        <translation>
            <numerusform>Except what %n append added: that stays, and uploading again goes on after it.</numerusform>
            <numerusform>Except what %n appends added: that stays, and uploading again goes on after it.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Cancel %n upload(s)</source>
        <translation>
            <numerusform>Cancel %n upload</numerusform>
            <numerusform>Cancel %n uploads</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Cancel %n upload(s)?</source>
        <translation>
            <numerusform>Cancel %n upload?</numerusform>
            <numerusform>Cancel %n uploads?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>WalkFindings</name>
    <message numerus="yes">
        <source>%n link(s) to folders left alone (first: %1).</source>
        <translation>
            <numerusform>%n link to a folder left alone (first: %1).</numerusform>
            <numerusform>%n links to folders left alone (first: %1).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>WatchIndicator</name>
    <message numerus="yes">
        <source>%n watched folder(s)</source>
        <translation>
            <numerusform>%n watched folder</numerusform>
            <numerusform>%n watched folders</numerusform>
        </translation>
    </message>
</context>
</TS>
