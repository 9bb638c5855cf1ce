<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>Accessibility</name>
    <message>
        <source>Account to upload to</source>
        <translation>上传使用的账号</translation>
    </message>
    <message>
        <source>Bucket</source>
        <translation>存储桶</translation>
    </message>
    <message>
        <source>Bytes uploaded</source>
        <translation>已上传数据量</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>终端节点</translation>
    </message>
    <message>
        <source>Files uploaded</source>
        <translation>已上传文件数</translation>
    </message>
    <message>
        <source>Filter by key</source>
        <translation>按对象键筛选</translation>
    </message>
    <message>
        <source>More toolbar buttons</source>
        <translation>更多工具栏按钮</translation>
    </message>
    <message>
        <source>Overall progress</source>
        <translation>总进度</translation>
    </message>
    <message>
        <source>Prefix in the bucket</source>
        <translation>存储桶中的路径</translation>
    </message>
    <message>
        <source>Show uploads by state</source>
        <translation>按状态显示上传</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <source>Upload speed</source>
        <translation>上传速度</translation>
    </message>
    <message>
        <source>Uploads</source>
        <translation>上传列表</translation>
    </message>
</context>
<context>
    <name>BatchIntake</name>
    <message>
        <source>Looking for files already in %1…</source>
        <translation>正在检查 %1 中是否已有这些文件…</translation>
    </message>
    <message>
        <source>Adding files to %1…</source>
        <translation>正在将文件添加到 %1…</translation>
    </message>
    <message>
        <source>Comparing your files with those in %1… %2 of %3 files</source>
        <translation>正在将您的文件与 %1 中的文件比较… 已比较 %2 / %3 个文件</translation>
    </message>
    <message>
        <source>Comparing your files with those in %1… %2 of %3 files, %4 left</source>
        <translation>正在将您的文件与 %1 中的文件比较… 已比较 %2 / %3 个文件，剩余 %4</translation>
    </message>
    <message>
        <source>%1 — %2</source>
        <translation>%1——%2</translation>
    </message>
    <message>
        <source>Could not add the files: %1</source>
        <translation>无法添加文件：%1</translation>
    </message>
    <message>
        <source>Nothing to add.</source>
        <translation>没有可添加的文件。</translation>
    </message>
    <message>
        <source>Nothing added.</source>
        <translation>未添加任何文件。</translation>
    </message>
    <message>
        <source>Comparing your files with those in %1…</source>
        <translation>正在将您的文件与 %1 中的文件比较…</translation>
    </message>
    <message numerus="yes">
        <source>Nothing added: %n file(s) already there, skipped.</source>
        <translation>
            <numerusform>未添加任何文件：%n 个文件已存在，已跳过。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Nothing added: %n file(s) already there and unchanged</source>
        <translation>
            <numerusform>未添加任何文件：%n 个文件已存在且未更改</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Nothing added: %n file(s) already in the upload list.</source>
        <translation>
            <numerusform>未添加任何文件：%n 个文件已在上传列表中。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Added %n file(s) to %1</source>
        <translation>
            <numerusform>已将 %n 个文件添加到 %1</numerusform>
        </translation>
    </message>
    <message>
        <source>those not uploaded yet wait paused (Pause all)</source>
        <translation>尚未上传的文件已暂停（全部暂停）</translation>
    </message>
    <message numerus="yes">
        <source>%n skipped (already there)</source>
        <translation>
            <numerusform>%n 个已跳过（已存在）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n renamed to keep both</source>
        <translation>
            <numerusform>%n 个已重命名（保留两者）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n already in the upload list</source>
        <translation>
            <numerusform>%n 个已在上传列表中</numerusform>
        </translation>
    </message>
    <message>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <source>.</source>
        <translation>。</translation>
    </message>
    <message numerus="yes">
        <source>%n skipped (unchanged)</source>
        <translation>
            <numerusform>%n 个未更改，已跳过</numerusform>
        </translation>
    </message>
    <message>
        <source>Your choice could not be saved: %1</source>
        <translation>无法保存您的选择：%1</translation>
    </message>
</context>
<context>
    <name>BatchStatus</name>
    <message>
        <source>%1 of this batch is uploaded</source>
        <translation>本批次已上传 %1</translation>
    </message>
    <message numerus="yes">
        <source>%n canceled</source>
        <translation>
            <numerusform>%n 个已取消</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n failed</source>
        <translation>
            <numerusform>%n 个失败</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) paused</source>
        <translation>
            <numerusform>%n 个文件已暂停</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) uploaded; </source>
        <translation>
            <numerusform>已上传 %n 个文件；</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n paused</source>
        <translation>
            <numerusform>%n 个已暂停</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n uploaded</source>
        <translation>
            <numerusform>%n 个已上传</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n uploading</source>
        <translation>
            <numerusform>%n 个上传中</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n waiting</source>
        <translation>
            <numerusform>%n 个等待中</numerusform>
        </translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>The first, %1: %2</source>
        <translation>第一个是 %1：%2</translation>
    </message>
    <message>
        <source>It will be retried automatically.</source>
        <translation>稍后会自动重试。</translation>
    </message>
    <message>
        <source>They will be retried automatically.</source>
        <translation>稍后会自动重试。</translation>
    </message>
    <message>
        <source>.</source>
        <translation>。</translation>
    </message>
    <message numerus="yes">
        <source>; %n failed</source>
        <translation>
            <numerusform>；%n 个失败</numerusform>
        </translation>
    </message>
    <message>
        <source>Paused and failed files are not counted in the time left.</source>
        <translation>剩余时间不包括已暂停和失败的文件。</translation>
    </message>
    <message>
        <source>The files added or resumed since uploads last stopped.</source>
        <translation>自上次上传停止以来添加或继续的文件。</translation>
    </message>
    <message>
        <source>Uploads paused</source>
        <translation>上传已暂停</translation>
    </message>
    <message>
        <source>%1 / %2 files</source>
        <translation>%1 / %2 个文件</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <source>%1 of them will be retried automatically.</source>
        <translation>其中 %1 个稍后会自动重试。</translation>
    </message>
    <message>
        <source>%1 failed, %2 uploaded.</source>
        <translation>%1 个失败，%2 个已上传。</translation>
    </message>
    <message>
        <source>Open the Failed tab for details.</source>
        <translation>详情请查看“失败/已取消”标签页。</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) uploaded.</source>
        <translation>
            <numerusform>已上传 %n 个文件。</numerusform>
        </translation>
    </message>
    <message>
        <source>Uploads finished</source>
        <translation>上传完成</translation>
    </message>
    <message>
        <source>Uploads finished with errors</source>
        <translation>上传已结束，部分失败</translation>
    </message>
</context>
<context>
    <name>ConnectionTest</name>
    <message>
        <source>The credential server gave no temporary keys: %1</source>
        <translation>凭证服务器未提供临时密钥：%1</translation>
    </message>
    <message>
        <source>The credential server does not allow this bucket or prefix: %1</source>
        <translation>凭证服务器不允许访问此存储桶或前缀：%1</translation>
    </message>
    <message>
        <source>No keys to test with: %1</source>
        <translation>没有可用于测试的密钥：%1</translation>
    </message>
    <message>
        <source>Network problem: %1</source>
        <translation>网络问题：%1</translation>
    </message>
    <message>
        <source>The settings are not valid: %1</source>
        <translation>设置无效：%1</translation>
    </message>
    <message>
        <source>(COS code %1, request ID %2)</source>
        <translation>（COS 错误码 %1，请求 ID %2）</translation>
    </message>
    <message>
        <source>Wrong key: COS refused the SecretId/SecretKey for this bucket.</source>
        <translation>密钥错误：COS 拒绝了此存储桶的 SecretId/SecretKey。</translation>
    </message>
    <message>
        <source>No such bucket: %1 does not exist in %2.</source>
        <translation>存储桶不存在：%2 中没有 %1。</translation>
    </message>
    <message>
        <source>COS refused the request: %1</source>
        <translation>COS 拒绝了请求：%1</translation>
    </message>
    <message>
        <source>The request failed: %1</source>
        <translation>请求失败：%1</translation>
    </message>
    <message>
        <source>Connected: the credential server gave temporary keys and bucket %1 is reachable.</source>
        <translation>已连接：凭证服务器提供了临时密钥，存储桶 %1 可以访问。</translation>
    </message>
    <message>
        <source>Connected: the keys work and bucket %1 is reachable.</source>
        <translation>连接成功：密钥有效，可以访问存储桶 %1。</translation>
    </message>
</context>
<context>
    <name>DesktopOpen</name>
    <message>
        <source>Cannot open the folder</source>
        <translation>无法打开文件夹</translation>
    </message>
    <message>
        <source>Cannot open the web page</source>
        <translation>无法打开网页</translation>
    </message>
    <message>
        <source>Copy address</source>
        <translation>复制网址</translation>
    </message>
    <message>
        <source>Copy path</source>
        <translation>复制路径</translation>
    </message>
    <message>
        <source>No file manager could be started to show it. Its path is:</source>
        <translation>无法启动文件管理器来显示它。其路径为：</translation>
    </message>
    <message>
        <source>No web browser could be started to show it. Its address is:</source>
        <translation>无法启动浏览器来打开它。其网址为：</translation>
    </message>
</context>
<context>
    <name>DestinationBar</name>
    <message>
        <source>The account (profile) uploads use</source>
        <translation>上传使用的账号</translation>
    </message>
    <message>
        <source>bucket-appid</source>
        <translation>存储桶名称-APPID</translation>
    </message>
    <message>
        <source>The bucket, as name-APPID (e.g. examplebucket-1250000000)</source>
        <translation>存储桶，格式为“名称-APPID”（例如 examplebucket-1250000000）</translation>
    </message>
    <message>
        <source>folder/in/bucket (empty: the bucket&apos;s root)</source>
        <translation>存储桶中的目录（留空为根目录）</translation>
    </message>
    <message>
        <source>Dropped files are stored under this prefix</source>
        <translation>拖入的文件将存放在此路径（对象键前缀）下</translation>
    </message>
    <message>
        <source>Accounts…</source>
        <translation>账号…</translation>
    </message>
    <message>
        <source>Add or edit accounts</source>
        <translation>添加或编辑账号</translation>
    </message>
    <message>
        <source>Upload to</source>
        <translation>上传到</translation>
    </message>
    <message>
        <source>Bucket</source>
        <translation>存储桶</translation>
    </message>
    <message>
        <source>Prefix</source>
        <translation>路径</translation>
    </message>
    <message>
        <source>Local sandbox</source>
        <translation>本地沙盒</translation>
    </message>
    <message>
        <source>not running</source>
        <translation>未运行</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>A COS-compatible server on this computer, for trying cosdesk out</source>
        <translation>运行在本机上的 COS 兼容服务，用于试用 cosdesk</translation>
    </message>
    <message>
        <source>Region or endpoint of this account</source>
        <translation>此账号的地域或终端节点</translation>
    </message>
    <message>
        <source>type its name</source>
        <translation>请输入名称</translation>
    </message>
    <message>
        <source>These keys may not list the account&apos;s buckets: type the bucket&apos;s name.</source>
        <translation>此密钥无权列出账号的存储桶：请直接输入存储桶名称。</translation>
    </message>
    <message>
        <source>list unavailable</source>
        <translation>无法列出</translation>
    </message>
    <message>
        <source>The buckets could not be listed: %1</source>
        <translation>无法列出存储桶：%1</translation>
    </message>
</context>
<context>
    <name>DropOverlay</name>
    <message>
        <source>Drop files to upload to %1</source>
        <translation>松开鼠标，上传到 %1</translation>
    </message>
</context>
<context>
    <name>DuplicatesQuestion</name>
    <message>
        <source>Files already there</source>
        <translation>文件已存在</translation>
    </message>
    <message>
        <source>Files may already be there</source>
        <translation>文件可能已存在</translation>
    </message>
    <message>
        <source>Overwrite</source>
        <translation>覆盖</translation>
    </message>
    <message>
        <source>Upload them again, replacing what is there</source>
        <translation>重新上传，替换已有的文件</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>跳过</translation>
    </message>
    <message>
        <source>Leave them out and add only the others</source>
        <translation>不上传这些文件，只添加其余文件</translation>
    </message>
    <message>
        <source>Keep both</source>
        <translation>保留两者</translation>
    </message>
    <message>
        <source>Upload them under new names, like “name (1).ext”</source>
        <translation>以新名称上传，如“name (1).ext”</translation>
    </message>
    <message>
        <source>Upload changed</source>
        <translation>上传有变化的</translation>
    </message>
    <message>
        <source>Compare each file with the object of its name: skip it when both have the same size and CRC-64, replace the object when they differ</source>
        <translation>将每个文件与同名对象比较：大小和 CRC-64 都相同则跳过，不同则替换该对象</translation>
    </message>
    <message>
        <source>Add none of the files</source>
        <translation>不添加任何文件</translation>
    </message>
    <message>
        <source>Remember my choice</source>
        <translation>记住我的选择</translation>
    </message>
    <message>
        <source>Do this from now on without asking; Settings can make cosdesk ask again.</source>
        <translation>以后直接这样处理，不再询问；可在“设置”中恢复询问。</translation>
    </message>
    <message>
        <source>Could not check whether “%1” is already there.</source>
        <translation>无法检查“%1”是否已存在。</translation>
    </message>
    <message>
        <source>“%1” is already there.</source>
        <translation>“%1”已存在。</translation>
    </message>
    <message numerus="yes">
        <source>Could not check whether the %n files you added are already there.</source>
        <translation>
            <numerusform>无法检查您添加的 %n 个文件是否已存在。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n of the %1 files you added are already there.</source>
        <translation>
            <numerusform>您添加的 %1 个文件中有 %n 个已存在。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>• %n in %1</source>
        <translation>
            <numerusform>• %n 个已在 %1 中</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>• %n in the upload list (%1 not finished yet)</source>
        <translation>
            <numerusform>• %n 个已在上传列表中（%1 个尚未完成）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>• %n in the upload list</source>
        <translation>
            <numerusform>• %n 个已在上传列表中</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>• %n added twice under the same name</source>
        <translation>
            <numerusform>• %n 个以相同名称重复添加</numerusform>
        </translation>
    </message>
    <message>
        <source>The bucket could not be checked: %1</source>
        <translation>无法检查存储桶：%1</translation>
    </message>
    <message>
        <source>Your choice also applies to files found there when their upload starts.</source>
        <translation>开始上传时如发现文件已存在，同样按您的选择处理。</translation>
    </message>
    <message>
        <source>Overwrite replaces them. Skip leaves them out. Keep both uploads them as “name (1).ext”. Upload changed sends only those that differ from what is there.</source>
        <translation>“覆盖”将替换已有文件；“跳过”不上传这些文件；“保留两者”以“name (1).ext”的名称上传；“上传有变化的”只上传与已有文件不同的文件。</translation>
    </message>
    <message>
        <source>in %1</source>
        <translation>在 %1 中</translation>
    </message>
    <message>
        <source>in the upload list</source>
        <translation>在上传列表中</translation>
    </message>
    <message>
        <source>added twice</source>
        <translation>重复添加</translation>
    </message>
    <message>
        <source>%1 — %2</source>
        <translation>%1 — %2</translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message numerus="yes">
        <source>… and %n more</source>
        <translation>
            <numerusform>…… 另有 %n 个</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EmptyHint</name>
    <message>
        <source>Drop files or folders here</source>
        <translation>将文件或文件夹拖放到此处</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Add a COS account…</source>
        <translation>添加 COS 账号…</translation>
    </message>
    <message>
        <source>Choose an account and a bucket above first.</source>
        <translation>请先在上方选择账号并填写存储桶。</translation>
    </message>
    <message>
        <source>They go to %1 on the local sandbox, a COS-compatible server on this computer. Add your COS account to upload to the cloud.</source>
        <translation>文件将上传到本地沙盒（本机上的 COS 兼容服务）中的 %1。添加您的 COS 账号即可上传到云端。</translation>
    </message>
    <message>
        <source>They will be uploaded to %1 (%2), keeping folder structure.</source>
        <translation>文件将上传到 %1（%2），并保留目录结构。</translation>
    </message>
    <message>
        <source>Reading the upload list…</source>
        <translation>正在读取上传列表…</translation>
    </message>
</context>
<context>
    <name>EmptyViewNote</name>
    <message>
        <source>No uploads.</source>
        <translation>没有上传任务。</translation>
    </message>
    <message>
        <source>Nothing is uploading or waiting to upload.</source>
        <translation>没有正在上传或等待上传的任务。</translation>
    </message>
    <message>
        <source>No upload is paused.</source>
        <translation>没有已暂停的上传。</translation>
    </message>
    <message>
        <source>No upload has failed or been canceled.</source>
        <translation>没有失败或已取消的上传。</translation>
    </message>
    <message>
        <source>No finished upload in the list.</source>
        <translation>列表中没有已完成的上传。</translation>
    </message>
    <message>
        <source>No upload&apos;s key holds “%1”.</source>
        <translation>没有对象键包含“%1”的上传。</translation>
    </message>
    <message>
        <source>No active upload&apos;s key holds “%1”.</source>
        <translation>没有对象键包含“%1”的进行中上传。</translation>
    </message>
    <message>
        <source>No paused upload&apos;s key holds “%1”.</source>
        <translation>没有对象键包含“%1”的已暂停上传。</translation>
    </message>
    <message>
        <source>No failed or canceled upload&apos;s key holds “%1”.</source>
        <translation>没有对象键包含“%1”的失败或已取消上传。</translation>
    </message>
    <message>
        <source>No finished upload&apos;s key holds “%1”.</source>
        <translation>没有对象键包含“%1”的已完成上传。</translation>
    </message>
</context>
<context>
    <name>FilterBar</name>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>进行中</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>Failed / Canceled</source>
        <translation>失败/已取消</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Every upload in the list</source>
        <translation>列表中的所有上传</translation>
    </message>
    <message>
        <source>Uploads waiting, being checked or sending</source>
        <translation>等待中、校验中或上传中的任务</translation>
    </message>
    <message>
        <source>Uploads you paused</source>
        <translation>您暂停的上传</translation>
    </message>
    <message>
        <source>Uploads that failed or were canceled: retry them, upload them again, or remove them</source>
        <translation>失败或已取消的上传：可重试、重新上传或从列表中移除</translation>
    </message>
    <message>
        <source>Uploads that finished</source>
        <translation>已完成的上传</translation>
    </message>
    <message>
        <source>Filter by key…</source>
        <translation>按对象键筛选…</translation>
    </message>
</context>
<context>
    <name>HeaderLines</name>
    <message>
        <source>Extra header %1</source>
        <translation>附加请求头 %1</translation>
    </message>
    <message>
        <source>Extra header</source>
        <translation>附加请求头</translation>
    </message>
</context>
<context>
    <name>HistoryDialog</name>
    <message>
        <source>Transfer history</source>
        <translation>传输历史</translation>
    </message>
    <message>
        <source>Search by name, bucket, folder or error</source>
        <translation>按名称、存储桶、文件夹或错误搜索</translation>
    </message>
    <message>
        <source>Search history</source>
        <translation>搜索传输历史</translation>
    </message>
    <message>
        <source>Show results</source>
        <translation>按结果筛选</translation>
    </message>
    <message>
        <source>All results</source>
        <translation>全部结果</translation>
    </message>
    <message>
        <source>Number of transfers</source>
        <translation>传输记录数</translation>
    </message>
    <message>
        <source>Export status</source>
        <translation>导出状态</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Clear history…</source>
        <translation>清空历史…</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Counting…</source>
        <translation>正在统计…</translation>
    </message>
    <message>
        <source>No transfers match.</source>
        <translation>没有匹配的传输记录。</translation>
    </message>
    <message>
        <source>No transfers yet.</source>
        <translation>还没有传输记录。</translation>
    </message>
    <message>
        <source>Matching transfers: %1</source>
        <translation>匹配的传输记录：%1</translation>
    </message>
    <message>
        <source>Transfers: %1</source>
        <translation>传输记录：%1</translation>
    </message>
    <message>
        <source>The history cannot be read: %1</source>
        <translation>无法读取传输历史：%1</translation>
    </message>
    <message>
        <source>Export history as CSV</source>
        <translation>将传输历史导出为 CSV</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <source>Could not export: %1</source>
        <translation>无法导出：%1</translation>
    </message>
    <message>
        <source>Saved %1 (transfers: %2).</source>
        <translation>已保存 %1（%2 条传输记录）。</translation>
    </message>
    <message>
        <source>Clear the transfer history?</source>
        <translation>要清空传输历史吗？</translation>
    </message>
    <message>
        <source>Every entry is deleted from this computer. The files on the server and the upload list stay as they are. Export the history first to keep a copy.</source>
        <translation>所有记录都将从本机删除，服务器上的文件和上传列表不受影响。如需保留副本，请先导出传输历史。</translation>
    </message>
    <message>
        <source>Clear history</source>
        <translation>清空历史</translation>
    </message>
    <message>
        <source>Clearing…</source>
        <translation>正在清空…</translation>
    </message>
    <message>
        <source>The history could not be cleared: %1</source>
        <translation>无法清空传输历史：%1</translation>
    </message>
    <message>
        <source>The history was cleared.</source>
        <translation>传输历史已清空。</translation>
    </message>
</context>
<context>
    <name>HistoryTableModel</name>
    <message>
        <source>Ended</source>
        <translation>结束时间</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Destination</source>
        <translation>上传位置</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>耗时</translation>
    </message>
    <message>
        <source>Average speed</source>
        <translation>平均速度</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Skipped</source>
        <translation>已跳过</translation>
    </message>
    <message>
        <source>at %1</source>
        <translation>位于 %1</translation>
    </message>
    <message>
        <source>from %1</source>
        <translation>来自 %1</translation>
    </message>
    <message>
        <source>%1 sent in %2 of uploading (pauses not counted)</source>
        <translation>上传用时 %2，共发送 %1（不计暂停时间）</translation>
    </message>
    <message>
        <source>Too quick to tell the link&apos;s speed.</source>
        <translation>用时太短，测不出链路速度。</translation>
    </message>
</context>
<context>
    <name>KeysBanner</name>
    <message>
        <source>Keys needed</source>
        <translation>需要密钥</translation>
    </message>
    <message>
        <source>SecretId</source>
        <translation>SecretId</translation>
    </message>
    <message>
        <source>SecretKey</source>
        <translation>SecretKey</translation>
    </message>
    <message>
        <source>Save in the system keyring</source>
        <translation>保存到系统密钥环</translation>
    </message>
    <message>
        <source>Resume uploads</source>
        <translation>继续上传</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>稍后</translation>
    </message>
    <message>
        <source>The uploads stay paused; Settings can take the keys later</source>
        <translation>上传将保持暂停，之后也可在“设置”中填写密钥</translation>
    </message>
    <message numerus="yes">
        <source>%n upload(s) to account “%1” need its keys</source>
        <translation>
            <numerusform>上传到账号“%1”的 %n 个任务需要密钥</numerusform>
        </translation>
    </message>
    <message>
        <source>The system keyring cannot be read, so the keys of “%1” are not available.</source>
        <translation>无法读取系统密钥环，因此无法获取“%1”的密钥。</translation>
    </message>
    <message>
        <source>No keys are stored for “%1” (keys kept for one session only are forgotten when cosdesk quits).</source>
        <translation>未保存“%1”的密钥（仅本次运行使用的密钥会在 cosdesk 退出后清除）。</translation>
    </message>
    <message>
        <source>Enter them to resume these uploads.</source>
        <translation>请输入密钥以继续这些上传。</translation>
    </message>
    <message>
        <source>Enter both the SecretId and the SecretKey.</source>
        <translation>请同时填写 SecretId 和 SecretKey。</translation>
    </message>
    <message numerus="yes">
        <source>Resuming %n upload(s) to “%1”.</source>
        <translation>
            <numerusform>正在继续上传到“%1”的 %n 个任务。</numerusform>
        </translation>
    </message>
    <message>
        <source>The keyring is unavailable: the keys are kept for this session only.</source>
        <translation>系统密钥环不可用：密钥仅在本次运行中保留。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Starting the local sandbox…</source>
        <translation>正在启动本地沙盒…</translation>
    </message>
    <message>
        <source>Settings file problem</source>
        <translation>设置文件有问题</translation>
    </message>
    <message>
        <source>Add files</source>
        <translation>添加文件</translation>
    </message>
    <message>
        <source>Add files… (Ctrl+O)</source>
        <translation>添加文件…（Ctrl+O）</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Add folder</source>
        <translation>添加文件夹</translation>
    </message>
    <message>
        <source>Watch a folder…</source>
        <translation>监视文件夹…</translation>
    </message>
    <message>
        <source>Upload the new and changed files of a folder as they appear</source>
        <translation>文件夹中出现新文件或文件有改动时自动上传</translation>
    </message>
    <message>
        <source>Watched folders…</source>
        <translation>监视的文件夹…</translation>
    </message>
    <message>
        <source>Sync a folder…</source>
        <translation>同步文件夹…</translation>
    </message>
    <message>
        <source>Upload what changed in a folder, after a preview</source>
        <translation>预览后上传文件夹中有变化的文件</translation>
    </message>
    <message>
        <source>Start all</source>
        <translation>全部开始</translation>
    </message>
    <message>
        <source>Start or resume every paused or failed upload</source>
        <translation>开始或继续所有已暂停或失败的上传</translation>
    </message>
    <message>
        <source>Pause all</source>
        <translation>全部暂停</translation>
    </message>
    <message>
        <source>Pause every upload</source>
        <translation>暂停所有上传</translation>
    </message>
    <message>
        <source>Retry failed</source>
        <translation>重试失败项</translation>
    </message>
    <message>
        <source>Clear finished</source>
        <translation>清除已完成</translation>
    </message>
    <message>
        <source>Remove done and canceled uploads from the list</source>
        <translation>从列表中移除已完成和已取消的上传</translation>
    </message>
    <message>
        <source>History</source>
        <translation>传输历史</translation>
    </message>
    <message>
        <source>Uploads that finished, failed or were canceled (Ctrl+H)</source>
        <translation>已完成、失败或已取消的上传（Ctrl+H）</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Accounts and defaults</source>
        <translation>账号与默认上传设置</translation>
    </message>
    <message>
        <source>&amp;Remote files</source>
        <translation>远端文件(&amp;R)</translation>
    </message>
    <message>
        <source>Show the bucket&apos;s files beside the uploads</source>
        <translation>在上传列表旁显示存储桶中的文件</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>Show cosdesk</source>
        <translation>显示 cosdesk</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>no destination</source>
        <translation>未选择上传位置</translation>
    </message>
    <message>
        <source> (Local sandbox)</source>
        <translation>（本地沙盒）</translation>
    </message>
    <message>
        <source>Where should these go?</source>
        <translation>要上传到哪里？</translation>
    </message>
    <message>
        <source>Choose an account and enter a bucket above, then add the files again.</source>
        <translation>请在上方选择账号并填写存储桶，然后重新添加文件。</translation>
    </message>
    <message>
        <source>Add files to upload</source>
        <translation>添加要上传的文件</translation>
    </message>
    <message>
        <source>Add a folder to upload</source>
        <translation>添加要上传的文件夹</translation>
    </message>
    <message>
        <source>Where should its files go?</source>
        <translation>文件要上传到哪里？</translation>
    </message>
    <message>
        <source>Choose an account and enter a bucket above, then watch the folder.</source>
        <translation>请先在上方选择账号并填写存储桶，再监视文件夹。</translation>
    </message>
    <message>
        <source>… (choose a bucket first)</source>
        <translation>…（请先选择存储桶）</translation>
    </message>
    <message>
        <source>not a local file; only files on this computer can be uploaded</source>
        <translation>不是本地文件，只能上传本机上的文件</translation>
    </message>
    <message numerus="yes">
        <source>%n item(s) could not be added</source>
        <translation>
            <numerusform>%n 项无法添加</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item(s) could not be added:</source>
        <translation>
            <numerusform>%n 项无法添加：</numerusform>
        </translation>
    </message>
    <message>
        <source>• %1: %2</source>
        <translation>• %1：%2</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>The local sandbox is running again at %1.</source>
        <translation>本地沙盒已重新运行，地址：%1。</translation>
    </message>
    <message>
        <source>Local sandbox running at %1 — drop a file to try it</source>
        <translation>本地沙盒已在 %1 运行，拖入一个文件试试吧</translation>
    </message>
    <message>
        <source>signal %1</source>
        <translation>信号 %1</translation>
    </message>
    <message>
        <source>exit status %1</source>
        <translation>退出状态 %1</translation>
    </message>
    <message>
        <source>It ended again (%1) soon after it was started again. Its log: %2</source>
        <translation>重新启动后不久它再次退出（%1）。日志：%2</translation>
    </message>
    <message>
        <source>The local sandbox stopped</source>
        <translation>本地沙盒已停止</translation>
    </message>
    <message>
        <source>The local sandbox stopped unexpectedly (%1); starting it again…</source>
        <translation>本地沙盒意外停止（%1），正在重新启动…</translation>
    </message>
    <message>
        <source>The local sandbox did not start</source>
        <translation>本地沙盒未能启动</translation>
    </message>
    <message>
        <source>Still loading the uploads of the last session: the command runs when they are loaded…</source>
        <translation>仍在加载上次的上传列表：加载完成后即执行此操作…</translation>
    </message>
    <message>
        <source>Clearing the finished uploads from the list…</source>
        <translation>正在从列表中清除已完成的上传…</translation>
    </message>
    <message numerus="yes">
        <source>Cleared %n finished upload(s) from the list</source>
        <translation>
            <numerusform>已从列表中清除 %n 个已完成的上传</numerusform>
        </translation>
    </message>
    <message>
        <source>Uploads are still running. What should happen to them?</source>
        <translation>仍有文件正在上传，要如何处理？</translation>
    </message>
    <message>
        <source>Paused uploads continue where they stopped the next time cosdesk starts.</source>
        <translation>已暂停的上传会在下次启动 cosdesk 时从中断处继续。</translation>
    </message>
    <message>
        <source>Keep uploading in the tray</source>
        <translation>在托盘中继续上传</translation>
    </message>
    <message>
        <source>Pause and quit</source>
        <translation>暂停并退出</translation>
    </message>
    <message>
        <source>Cancel uploads and quit</source>
        <translation>取消上传并退出</translation>
    </message>
    <message>
        <source>Don&apos;t quit</source>
        <translation>不退出</translation>
    </message>
    <message>
        <source>cosdesk keeps uploading</source>
        <translation>cosdesk 仍在上传</translation>
    </message>
    <message>
        <source>Open it again from the tray icon.</source>
        <translation>可通过托盘图标重新打开窗口。</translation>
    </message>
    <message>
        <source>Quitting…</source>
        <translation>正在退出…</translation>
    </message>
    <message numerus="yes">
        <source>Saving the task list before quitting (%n change(s) left)…</source>
        <translation>
            <numerusform>正在保存任务列表，保存完成后退出（还剩 %n 项更改）…</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MenuBar</name>
    <message>
        <source>&amp;About cosdesk</source>
        <translation>关于 cosdesk(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;All uploads</source>
        <translation>全部(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Documentation</source>
        <translation>文档(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Done</source>
        <translation>已完成(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Filter by key</source>
        <translation>按对象键筛选(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Paused</source>
        <translation>已暂停(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Toolbar</source>
        <translation>工具栏(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Uploads</source>
        <translation>上传(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>A&amp;ctive</source>
        <translation>进行中(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Failed / Canceled</source>
        <translation>失败/已取消(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;log folder</source>
        <translation>打开日志文件夹(&amp;L)</translation>
    </message>
    <message>
        <source>Select &amp;all</source>
        <translation>全选(&amp;A)</translation>
    </message>
    <message>
        <source>Uploads files to Tencent Cloud Object Storage (COS), visibly and resumably.

Home page:
%1

Log file:
%2

Qt %3</source>
        <translation>将文件上传到腾讯云对象存储（COS），进度清晰可见，中断后可继续。

主页：
%1

日志文件：
%2

Qt %3</translation>
    </message>
    <message>
        <source>cosdesk %1</source>
        <translation>cosdesk %1</translation>
    </message>
</context>
<context>
    <name>NewFolderDialog</name>
    <message>
        <source>New folder</source>
        <translation>新建文件夹</translation>
    </message>
    <message>
        <source>Make a folder in %1 named:</source>
        <translation>在 %1 中新建文件夹，名称：</translation>
    </message>
    <message>
        <source>Folder name</source>
        <translation>文件夹名称</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
</context>
<context>
    <name>ObjectDetailsDialog</name>
    <message>
        <source>Object details</source>
        <translation>对象详情</translation>
    </message>
    <message>
        <source>Bucket</source>
        <translation>存储桶</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>对象键</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Last modified</source>
        <translation>修改时间</translation>
    </message>
    <message>
        <source>Storage class</source>
        <translation>存储类型</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Content type</source>
        <translation>内容类型</translation>
    </message>
    <message>
        <source>ETag</source>
        <translation>ETag</translation>
    </message>
    <message>
        <source>CRC-64</source>
        <translation>CRC-64</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Metadata: %1</source>
        <translation>元数据：%1</translation>
    </message>
    <message>
        <source>Headers</source>
        <translation>响应头</translation>
    </message>
</context>
<context>
    <name>PatternProblem</name>
    <message>
        <source>Invalid git pattern: &apos;{pattern}&apos; has a &apos;[&apos; without its &apos;]&apos; (write &apos;\[&apos; for the character)</source>
        <translation>规则“{pattern}”中的“[”没有对应的“]”（要表示字符本身，请写作“\[”）</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>查找范围(&amp;L)：</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>文件类型(&amp;T)：</translation>
    </message>
</context>
<context>
    <name>RemoteObjectsModel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Last modified</source>
        <translation>修改时间</translation>
    </message>
    <message>
        <source>Storage class</source>
        <translation>存储类型</translation>
    </message>
</context>
<context>
    <name>RemotePane</name>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Up</source>
        <translation>上一级</translation>
    </message>
    <message>
        <source>The folder above (Backspace)</source>
        <translation>上一级文件夹（Backspace）</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>List this folder again (F5)</source>
        <translation>重新列出此文件夹（F5）</translation>
    </message>
    <message>
        <source>New folder</source>
        <translation>新建文件夹</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Copy key</source>
        <translation>复制对象键</translation>
    </message>
    <message>
        <source>Copy URL</source>
        <translation>复制链接</translation>
    </message>
    <message>
        <source>Filter by name (starts with)</source>
        <translation>按名称筛选（前缀）</translation>
    </message>
    <message>
        <source>Filter remote files by name</source>
        <translation>按名称筛选远端文件</translation>
    </message>
    <message>
        <source>Remote files</source>
        <translation>远端文件</translation>
    </message>
    <message>
        <source>Remote folder status</source>
        <translation>远端文件夹状态</translation>
    </message>
    <message>
        <source>Choose an account and a bucket to see its files.</source>
        <translation>选择账号和存储桶以查看其中的文件。</translation>
    </message>
    <message>
        <source>Listing %1…</source>
        <translation>正在列出 %1……</translation>
    </message>
    <message>
        <source>%1 — %2</source>
        <translation>%1——%2</translation>
    </message>
    <message>
        <source>No files here. Drop files to upload them to this folder.</source>
        <translation>这里没有文件。拖放文件即可上传到此文件夹。</translation>
    </message>
    <message>
        <source>%1 items shown; more as you scroll</source>
        <translation>已显示 %1 项；滚动以加载更多</translation>
    </message>
    <message numerus="yes">
        <source>%Ln item(s)</source>
        <translation>
            <numerusform>%Ln 项</numerusform>
        </translation>
    </message>
    <message>
        <source>These keys may not list this folder.</source>
        <translation>此密钥无权列出此文件夹。</translation>
    </message>
    <message>
        <source>There is no such bucket.</source>
        <translation>存储桶不存在。</translation>
    </message>
    <message>
        <source>Cannot list this folder: %1</source>
        <translation>无法列出此文件夹：%1</translation>
    </message>
    <message>
        <source>Drop to upload to %1</source>
        <translation>松开即上传到 %1</translation>
    </message>
    <message>
        <source>Copy pre-signed URL</source>
        <translation>复制预签名链接</translation>
    </message>
    <message numerus="yes">
        <source>Valid for %n day(s)</source>
        <translation>
            <numerusform>有效期 %n 天</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Valid for %n hour(s)</source>
        <translation>
            <numerusform>有效期 %n 小时</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Copied %n key(s)</source>
        <translation>
            <numerusform>已复制 %n 个对象键</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Copied %n URL(s)</source>
        <translation>
            <numerusform>已复制 %n 个链接</numerusform>
        </translation>
    </message>
    <message>
        <source>Cannot sign the URL: %1</source>
        <translation>无法签名链接：%1</translation>
    </message>
    <message numerus="yes">
        <source>Copied %n pre-signed URL(s)</source>
        <translation>
            <numerusform>已复制 %n 个预签名链接</numerusform>
        </translation>
    </message>
    <message>
        <source>Cannot read the object&apos;s details: %1</source>
        <translation>无法读取对象详情：%1</translation>
    </message>
    <message>
        <source>Cannot create the folder</source>
        <translation>无法创建文件夹</translation>
    </message>
    <message>
        <source>Created folder %1</source>
        <translation>已创建文件夹 %1</translation>
    </message>
    <message>
        <source>Counting what to delete…</source>
        <translation>正在统计要删除的对象……</translation>
    </message>
    <message>
        <source>Cannot delete</source>
        <translation>无法删除</translation>
    </message>
    <message numerus="yes">
        <source>… and %n more</source>
        <translation>
            <numerusform>…… 另有 %n 项</numerusform>
        </translation>
    </message>
    <message>
        <source>This cannot be undone.</source>
        <translation>此操作无法撤销。</translation>
    </message>
    <message numerus="yes">
        <source>Delete %Ln object(s)?</source>
        <translation>
            <numerusform>删除 %Ln 个对象？</numerusform>
        </translation>
    </message>
    <message>
        <source>From %1:</source>
        <translation>来自 %1：</translation>
    </message>
    <message numerus="yes">
        <source>Deleted %Ln object(s).</source>
        <translation>
            <numerusform>已删除 %Ln 个对象。</numerusform>
        </translation>
    </message>
    <message>
        <source>A folder is deleted with everything in it. This cannot be undone.</source>
        <translation>文件夹会连同其中的所有内容一起删除。此操作无法撤销。</translation>
    </message>
    <message>
        <source>Keep them</source>
        <translation>保留</translation>
    </message>
    <message numerus="yes">
        <source>Deleting %Ln object(s)…</source>
        <translation>
            <numerusform>正在删除 %Ln 个对象……</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln object(s) could not be deleted</source>
        <translation>
            <numerusform>%Ln 个对象无法删除</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RowCommands</name>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Pause / resume</source>
        <translation>暂停 / 继续</translation>
    </message>
    <message>
        <source>Cancel selected</source>
        <translation>取消选中项</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancel the selected uploads (Delete)</source>
        <translation>取消选中的上传（Delete）</translation>
    </message>
    <message>
        <source>Upload again</source>
        <translation>重新上传</translation>
    </message>
    <message>
        <source>Upload the canceled files again, from the start</source>
        <translation>从头重新上传已取消的文件</translation>
    </message>
    <message>
        <source>Remove from list</source>
        <translation>从列表中移除</translation>
    </message>
    <message>
        <source>Remove the selected done or canceled uploads from the list</source>
        <translation>从列表中移除选中的已完成或已取消的上传</translation>
    </message>
    <message>
        <source>Copy key</source>
        <translation>复制对象键</translation>
    </message>
    <message>
        <source>Copy URL</source>
        <translation>复制链接</translation>
    </message>
    <message>
        <source>Open containing folder</source>
        <translation>打开所在文件夹</translation>
    </message>
    <message>
        <source>Show details</source>
        <translation>查看详情</translation>
    </message>
    <message numerus="yes">
        <source>Copied %n key(s)</source>
        <translation>
            <numerusform>已复制 %n 个对象键</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Copied %n URL(s)</source>
        <translation>
            <numerusform>已复制 %n 个链接</numerusform>
        </translation>
    </message>
    <message>
        <source>Signing…</source>
        <translation>正在签名…</translation>
    </message>
    <message>
        <source>Cannot sign the URL</source>
        <translation>无法生成签名链接</translation>
    </message>
    <message numerus="yes">
        <source>Copied %n pre-signed URL(s), valid for %1</source>
        <translation>
            <numerusform>已复制 %n 个预签名链接，有效期 %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n day(s)</source>
        <translation>
            <numerusform>%n 天</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n hour(s)</source>
        <translation>
            <numerusform>%n 小时</numerusform>
        </translation>
    </message>
    <message>
        <source>Copy pre-signed URL</source>
        <translation>复制预签名链接</translation>
    </message>
    <message>
        <source>Valid for %1</source>
        <translation>有效期 %1</translation>
    </message>
</context>
<context>
    <name>ScanProblem</name>
    <message>
        <source>cannot read: {reason}</source>
        <translation>无法读取：{reason}</translation>
    </message>
    <message>
        <source>cannot list: {reason}</source>
        <translation>无法列出内容：{reason}</translation>
    </message>
    <message>
        <source>cannot read (broken link?): {reason}</source>
        <translation>无法读取（链接失效？）：{reason}</translation>
    </message>
    <message>
        <source>not a regular file or folder; skipped</source>
        <translation>不是普通文件或文件夹；已跳过</translation>
    </message>
    <message>
        <source>a link back to a folder already included; not followed</source>
        <translation>指回已包含文件夹的链接；未跟随</translation>
    </message>
    <message>
        <source>a link to a folder that holds it; not followed</source>
        <translation>指向包含它的上级文件夹的链接；未跟随</translation>
    </message>
    <message>
        <source>the object key is empty</source>
        <translation>对象键为空</translation>
    </message>
    <message>
        <source>the object key {key} is not valid UTF-8 (a file name in another encoding?)</source>
        <translation>对象键 {key} 不是有效的 UTF-8（文件名使用了其他编码？）</translation>
    </message>
    <message>
        <source>the object key is longer than {limit} bytes of UTF-8</source>
        <translation>对象键超过 {limit} 字节（UTF-8）</translation>
    </message>
    <message>
        <source>the name is not valid UTF-8, so it cannot be a COS key; skipped</source>
        <translation>名称不是有效的 UTF-8，不能作为 COS 对象键；已跳过</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Standard</source>
        <translation>标准存储</translation>
    </message>
    <message>
        <source>Standard-IA (infrequent access)</source>
        <translation>低频存储</translation>
    </message>
    <message>
        <source>Archive</source>
        <translation>归档存储</translation>
    </message>
    <message>
        <source>Deep Archive</source>
        <translation>深度归档存储</translation>
    </message>
    <message>
        <source>Intelligent Tiering</source>
        <translation>智能分层存储</translation>
    </message>
    <message>
        <source>Standard (multi-AZ)</source>
        <translation>标准存储（多 AZ）</translation>
    </message>
    <message>
        <source>Standard-IA (multi-AZ)</source>
        <translation>低频存储（多 AZ）</translation>
    </message>
    <message>
        <source>Intelligent Tiering (multi-AZ)</source>
        <translation>智能分层存储（多 AZ）</translation>
    </message>
    <message>
        <source>(not set: the bucket&apos;s)</source>
        <translation>（不指定，沿用存储桶权限）</translation>
    </message>
    <message>
        <source>Private read/write</source>
        <translation>私有读写</translation>
    </message>
    <message>
        <source>Public read, private write</source>
        <translation>公有读私有写</translation>
    </message>
    <message>
        <source>Inherit from the bucket</source>
        <translation>继承权限</translation>
    </message>
    <message>
        <source>Beijing</source>
        <translation>北京</translation>
    </message>
    <message>
        <source>Nanjing</source>
        <translation>南京</translation>
    </message>
    <message>
        <source>Shanghai</source>
        <translation>上海</translation>
    </message>
    <message>
        <source>Guangzhou</source>
        <translation>广州</translation>
    </message>
    <message>
        <source>Chengdu</source>
        <translation>成都</translation>
    </message>
    <message>
        <source>Chongqing</source>
        <translation>重庆</translation>
    </message>
    <message>
        <source>Shenzhen Finance</source>
        <translation>深圳金融</translation>
    </message>
    <message>
        <source>Shanghai Finance</source>
        <translation>上海金融</translation>
    </message>
    <message>
        <source>Beijing Finance</source>
        <translation>北京金融</translation>
    </message>
    <message>
        <source>Hong Kong, China</source>
        <translation>中国香港</translation>
    </message>
    <message>
        <source>Singapore</source>
        <translation>新加坡</translation>
    </message>
    <message>
        <source>Mumbai</source>
        <translation>孟买</translation>
    </message>
    <message>
        <source>Jakarta</source>
        <translation>雅加达</translation>
    </message>
    <message>
        <source>Seoul</source>
        <translation>首尔</translation>
    </message>
    <message>
        <source>Bangkok</source>
        <translation>曼谷</translation>
    </message>
    <message>
        <source>Tokyo</source>
        <translation>东京</translation>
    </message>
    <message>
        <source>Silicon Valley (US West)</source>
        <translation>硅谷（美西）</translation>
    </message>
    <message>
        <source>Virginia (US East)</source>
        <translation>弗吉尼亚（美东）</translation>
    </message>
    <message>
        <source>Toronto</source>
        <translation>多伦多</translation>
    </message>
    <message>
        <source>São Paulo</source>
        <translation>圣保罗</translation>
    </message>
    <message>
        <source>Frankfurt</source>
        <translation>法兰克福</translation>
    </message>
    <message>
        <source>Add account</source>
        <translation>添加账号</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Accounts</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>only for temporary (STS) keys</source>
        <translation>仅使用临时密钥（STS）时填写</translation>
    </message>
    <message>
        <source>empty: COS&apos;s public endpoint for the region</source>
        <translation>留空：使用该地域的 COS 默认域名</translation>
    </message>
    <message>
        <source>Bucket in the path (path-style)</source>
        <translation>存储桶放在路径中（path-style）</translation>
    </message>
    <message>
        <source>Use HTTPS</source>
        <translation>使用 HTTPS</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Forget the stored headers</source>
        <translation>清除已保存的请求头</translation>
    </message>
    <message>
        <source>SecretId</source>
        <translation>SecretId</translation>
    </message>
    <message>
        <source>SecretKey</source>
        <translation>SecretKey</translation>
    </message>
    <message>
        <source>Session token</source>
        <translation>Token（临时密钥）</translation>
    </message>
    <message>
        <source>Region</source>
        <translation>地域</translation>
    </message>
    <message>
        <source>Bucket</source>
        <translation>存储桶</translation>
    </message>
    <message>
        <source>Custom endpoint</source>
        <translation>自定义终端节点</translation>
    </message>
    <message>
        <source>Extra headers</source>
        <translation>附加请求头</translation>
    </message>
    <message>
        <source>Keys are kept in the system keyring only, never in a file.</source>
        <translation>密钥只保存在系统密钥环中，绝不写入文件。</translation>
    </message>
    <message>
        <source>Files up to this size go in one request; larger ones in parts</source>
        <translation>不超过此大小的文件用一次请求上传，更大的文件使用分块上传</translation>
    </message>
    <message>
        <source>What cosdesk upload --profile does when the object is already there
(--if-exists chooses otherwise). In this window, “When added files
are already there” under All uploads decides.</source>
        <translation>cosdesk upload --profile 遇到对象已存在时的做法（--if-exists 可另行指定）。
在本窗口中，由“所有上传”下的“添加的文件已存在时”决定。</translation>
    </message>
    <message>
        <source>unlimited</source>
        <translation>不限速</translation>
    </message>
    <message>
        <source>Overwrite</source>
        <translation>覆盖</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>跳过</translation>
    </message>
    <message>
        <source>Rename (name (1).ext)</source>
        <translation>重命名（name (1).ext）</translation>
    </message>
    <message>
        <source>Resume unfinished uploads when cosdesk starts</source>
        <translation>启动 cosdesk 时继续未完成的上传</translation>
    </message>
    <message>
        <source>Upload defaults</source>
        <translation>默认上传设置</translation>
    </message>
    <message>
        <source>Storage class</source>
        <translation>存储类型</translation>
    </message>
    <message>
        <source>ACL</source>
        <translation>访问权限</translation>
    </message>
    <message>
        <source>Slice size</source>
        <translation>分块大小</translation>
    </message>
    <message>
        <source>Files at once</source>
        <translation>同时上传文件数</translation>
    </message>
    <message>
        <source>Parts at once per file</source>
        <translation>每个文件的并发分块数</translation>
    </message>
    <message>
        <source>Bandwidth limit</source>
        <translation>带宽限制</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>No account yet. Uploads go to the local sandbox until you add one.</source>
        <translation>还没有账号。添加账号之前，文件会上传到本地沙盒。</translation>
    </message>
    <message>
        <source>Takes effect the next time cosdesk starts.</source>
        <translation>重启 cosdesk 后生效。</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Account %1</source>
        <translation>账号 %1</translation>
    </message>
    <message>
        <source>Enter a name for the account.</source>
        <translation>请输入账号名称。</translation>
    </message>
    <message>
        <source>stored in the keyring — leave empty to keep</source>
        <translation>已保存在密钥环中，留空则保持不变</translation>
    </message>
    <message>
        <source>An account name has 1 to 64 letters, digits, spaces or . _ @ - characters.</source>
        <translation>账号名称须为 1 到 64 个字符，可包含文字、数字、空格及 . _ @ -。</translation>
    </message>
    <message>
        <source>Temporary keys are kept in memory only; extra headers are kept in the system keyring.</source>
        <translation>临时密钥只保存在内存中；附加请求头保存在系统钥匙串中。</translation>
    </message>
    <message>
        <source>Write each extra header as Name: value.</source>
        <translation>请按“名称: 值”的格式填写每个附加请求头。</translation>
    </message>
    <message>
        <source>Enter both the SecretId and the SecretKey.</source>
        <translation>请同时填写 SecretId 和 SecretKey。</translation>
    </message>
    <message>
        <source>An account with this name already exists.</source>
        <translation>已存在同名账号。</translation>
    </message>
    <message>
        <source>SecretId and SecretKey</source>
        <translation>SecretId 和 SecretKey</translation>
    </message>
    <message>
        <source>Credential server (temporary keys)</source>
        <translation>凭证服务器（临时密钥）</translation>
    </message>
    <message>
        <source>Ask with POST (bucket, region and prefix as JSON)</source>
        <translation>使用 POST 请求（以 JSON 发送存储桶、地域和前缀）</translation>
    </message>
    <message>
        <source>none: the stored headers are forgotten on Save</source>
        <translation>无：保存时将清除已保存的请求头</translation>
    </message>
    <message>
        <source>leave empty to keep the stored headers, if any</source>
        <translation>留空则保留已保存的请求头（如有）</translation>
    </message>
    <message>
        <source>optional, e.g. Authorization: Bearer …</source>
        <translation>可选，例如 Authorization: Bearer …</translation>
    </message>
    <message>
        <source>Keys from</source>
        <translation>密钥来源</translation>
    </message>
    <message>
        <source>Credential URL</source>
        <translation>凭证 URL</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Automatic: as many as make the upload faster on your link; or a fixed number</source>
        <translation>自动：按当前网络调整为上传最快的并发数；也可填写固定数值</translation>
    </message>
    <message>
        <source>Upload if changed (size or CRC-64)</source>
        <translation>有变化时上传（大小或 CRC-64）</translation>
    </message>
    <message>
        <source>If the object exists (cosdesk upload)</source>
        <translation>对象已存在时（cosdesk upload）</translation>
    </message>
    <message>
        <source>All uploads</source>
        <translation>所有上传</translation>
    </message>
    <message>
        <source>Ask every time</source>
        <translation>每次询问</translation>
    </message>
    <message>
        <source>Keep both</source>
        <translation>保留两者</translation>
    </message>
    <message>
        <source>Upload changed</source>
        <translation>上传有变化的</translation>
    </message>
    <message>
        <source>When added files are already there</source>
        <translation>添加的文件已存在时</translation>
    </message>
    <message>
        <source>Remove account “%1” and its keys from the keyring?</source>
        <translation>要删除账号“%1”，并从密钥环中删除其密钥吗？</translation>
    </message>
    <message>
        <source>Uploads already queued stay.</source>
        <translation>已在上传队列中的任务会保留。</translation>
    </message>
    <message>
        <source>kept for this session only — leave empty to keep</source>
        <translation>仅在本次运行中保留，留空则保持不变</translation>
    </message>
    <message>
        <source>the keyring cannot be read — enter the keys</source>
        <translation>无法读取密钥环，请填写密钥</translation>
    </message>
    <message>
        <source>An IP address or localhost takes the bucket in the path.</source>
        <translation>IP 地址或 localhost 须将存储桶放在路径中。</translation>
    </message>
    <message>
        <source>The endpoint&apos;s scheme decides whether HTTPS is used.</source>
        <translation>是否使用 HTTPS 由终端节点地址的协议决定。</translation>
    </message>
    <message>
        <source>Enter the credential URL.</source>
        <translation>请输入凭证 URL。</translation>
    </message>
    <message>
        <source>Enter the bucket first.</source>
        <translation>请先填写存储桶。</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>Account not renamed</source>
        <translation>账号未重命名</translation>
    </message>
    <message>
        <source>The keys of “%1” cannot be moved to its new name “%2”: %3</source>
        <translation>无法将“%1”的密钥移至新名称“%2”：%3</translation>
    </message>
    <message>
        <source>Settings not saved</source>
        <translation>设置未保存</translation>
    </message>
    <message>
        <source>The extra header of “%1” cannot be saved in the system keyring: %2</source>
        <translation>无法将“%1”的附加请求头保存到系统密钥环：%2</translation>
    </message>
    <message>
        <source>Cannot write the settings file: %1</source>
        <translation>无法写入设置文件：%1</translation>
    </message>
    <message>
        <source>The keys of “%1” cannot be saved in the system keyring.</source>
        <translation>无法将“%1”的密钥保存到系统密钥环。</translation>
    </message>
    <message>
        <source>cosdesk never writes keys to a file. Unlock or install a keyring and try again, or use the keys for this session only (you will be asked again next time).</source>
        <translation>cosdesk 绝不会把密钥写入文件。请解锁或安装密钥环后重试，或者仅在本次运行中使用这些密钥（下次启动时会再次询问）。</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Use for this session only</source>
        <translation>仅本次运行使用</translation>
    </message>
</context>
<context>
    <name>SyncDialog</name>
    <message>
        <source>Sync a folder</source>
        <translation>同步文件夹</translation>
    </message>
    <message>
        <source>Folder to sync</source>
        <translation>要同步的文件夹</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>Bucket to sync to</source>
        <translation>同步到的存储桶</translation>
    </message>
    <message>
        <source>Prefix to sync to</source>
        <translation>同步到的路径</translation>
    </message>
    <message>
        <source>(the top of the bucket)</source>
        <translation>（存储桶根目录）</translation>
    </message>
    <message>
        <source>Delete remote files that are not in the folder</source>
        <translation>删除文件夹中没有的远端文件</translation>
    </message>
    <message>
        <source>Exclude patterns</source>
        <translation>排除规则</translation>
    </message>
    <message>
        <source>One per line, as in .gitignore (*.tmp, build/)</source>
        <translation>每行一条，写法同 .gitignore（*.tmp、build/）</translation>
    </message>
    <message>
        <source>Include patterns</source>
        <translation>包含规则</translation>
    </message>
    <message>
        <source>Empty: every file; else only files matching these</source>
        <translation>留空：所有文件；否则只同步匹配的文件</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>Account to sync to</source>
        <translation>同步使用的账号</translation>
    </message>
    <message>
        <source>Account:</source>
        <translation>账号：</translation>
    </message>
    <message>
        <source>Folder:</source>
        <translation>文件夹：</translation>
    </message>
    <message>
        <source>Bucket:</source>
        <translation>存储桶：</translation>
    </message>
    <message>
        <source>Prefix:</source>
        <translation>路径：</translation>
    </message>
    <message>
        <source>Exclude:</source>
        <translation>排除：</translation>
    </message>
    <message>
        <source>Include:</source>
        <translation>包含：</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Sync preview</source>
        <translation>同步预览</translation>
    </message>
    <message>
        <source>Files to upload</source>
        <translation>要上传的文件</translation>
    </message>
    <message>
        <source>Files to skip</source>
        <translation>要跳过的文件</translation>
    </message>
    <message>
        <source>Remote files to delete</source>
        <translation>要删除的远端文件</translation>
    </message>
    <message>
        <source>Sync</source>
        <translation>同步</translation>
    </message>
    <message>
        <source>To upload (%1)</source>
        <translation>要上传（%1）</translation>
    </message>
    <message>
        <source>To skip (%1)</source>
        <translation>要跳过（%1）</translation>
    </message>
    <message>
        <source>To delete (%1)</source>
        <translation>要删除（%1）</translation>
    </message>
    <message>
        <source>Choose an account first (the bar above the list).</source>
        <translation>请先选择账号（列表上方的栏）。</translation>
    </message>
    <message>
        <source>Comparing the folder with %1…</source>
        <translation>正在将文件夹与 %1 比较…</translation>
    </message>
    <message>
        <source>%1 — %2</source>
        <translation>%1——%2</translation>
    </message>
    <message>
        <source>A pattern cannot be read: %1</source>
        <translation>无法识别规则：%1</translation>
    </message>
    <message>
        <source>There is no folder at %1.</source>
        <translation>%1 处没有文件夹。</translation>
    </message>
    <message>
        <source>The destination cannot be listed: %1</source>
        <translation>无法列出目标：%1</translation>
    </message>
    <message>
        <source>The folder cannot be read: %1</source>
        <translation>无法读取文件夹：%1</translation>
    </message>
    <message>
        <source>%1 to upload, %2 to skip, %3 to delete.</source>
        <translation>要上传 %1 个，跳过 %2 个，删除 %3 个。</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s)</source>
        <translation>
            <numerusform>%n 个文件</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n folder(s)</source>
        <translation>
            <numerusform>%n 个文件夹</numerusform>
        </translation>
    </message>
    <message>
        <source> and </source>
        <translation>和 </translation>
    </message>
    <message>
        <source>%1 left out by the patterns.</source>
        <translation>%1被规则排除。</translation>
    </message>
    <message>
        <source>%1 could not be read (first: %2).</source>
        <translation>%1 个无法读取（第一个：%2）。</translation>
    </message>
    <message>
        <source>not in the bucket</source>
        <translation>存储桶中没有</translation>
    </message>
    <message>
        <source>size differs</source>
        <translation>大小不同</translation>
    </message>
    <message>
        <source>same size, different content (CRC-64)</source>
        <translation>大小相同，内容不同（CRC-64）</translation>
    </message>
    <message>
        <source>same size, no CRC-64 in the bucket to compare</source>
        <translation>大小相同，存储桶中没有可比较的 CRC-64</translation>
    </message>
    <message>
        <source>unchanged since the last sync</source>
        <translation>自上次同步以来未变</translation>
    </message>
    <message>
        <source>same size and CRC-64</source>
        <translation>大小和 CRC-64 相同</translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… 另有 %1 个</translation>
    </message>
    <message>
        <source>Syncing: %1 queued for upload.</source>
        <translation>正在同步：%1 个已加入上传队列。</translation>
    </message>
    <message>
        <source>Nothing to upload.</source>
        <translation>没有要上传的文件。</translation>
    </message>
    <message>
        <source>Deleting %1…</source>
        <translation>正在删除 %1 个…</translation>
    </message>
    <message>
        <source>Synced: %1 uploaded, %2 failed.</source>
        <translation>已同步：上传 %1 个，失败 %2 个。</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n remote file(s)?</source>
        <translation>
            <numerusform>删除 %n 个远端文件？</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n remote file(s) deleted.</source>
        <translation>
            <numerusform>已删除 %n 个远端文件。</numerusform>
        </translation>
    </message>
    <message>
        <source>They are in %1 and not in the folder %2. Deleted objects cannot be brought back.</source>
        <translation>它们在 %1 中，但不在文件夹 %2 中。删除的对象无法恢复。</translation>
    </message>
    <message>
        <source>Delete and sync</source>
        <translation>删除并同步</translation>
    </message>
    <message>
        <source>Nothing was deleted: %1</source>
        <translation>没有删除任何文件：%1</translation>
    </message>
    <message>
        <source>%1 could not be deleted (first: %2).</source>
        <translation>%1 个无法删除（第一个：%2）。</translation>
    </message>
</context>
<context>
    <name>SyncProblem</name>
    <message>
        <source>parts of the folder could not be read, so nothing is deleted</source>
        <translation>文件夹的部分内容无法读取，因此不删除任何文件</translation>
    </message>
</context>
<context>
    <name>TaskActions</name>
    <message numerus="yes">
        <source>Cancel %n upload(s)</source>
        <translation>
            <numerusform>取消 %n 个上传</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Cancel %n upload(s)?</source>
        <translation>
            <numerusform>要取消 %n 个上传吗？</numerusform>
        </translation>
    </message>
    <message>
        <source>Cancel the upload of %1?</source>
        <translation>要取消上传“%1”吗？</translation>
    </message>
    <message>
        <source>%1 of %2 has been sent. What was appended stays in the object if you cancel; uploading again goes on after it.</source>
        <translation>已发送 %1 / %2。取消后，已追加的数据仍留在对象中；重新上传会从其后继续追加。</translation>
    </message>
    <message>
        <source>%1 of %2 has been sent. Cancelling throws that away (an object already there under this name stays as it is); uploading again starts over.</source>
        <translation>已发送 %1 / %2。取消会丢弃已发送的数据（存储桶中已有的同名对象保持不变），重新上传须从头开始。</translation>
    </message>
    <message numerus="yes">
        <source>Already sent: %1, by %n of these uploads. What they appended stays in the objects if you cancel; uploading again goes on after it.</source>
        <translation>
            <numerusform>已有 %n 个上传发送了数据，共 %1。取消后，已追加的数据仍留在对象中；重新上传会从其后继续追加。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Already sent: %1, by %n of these uploads. Cancelling throws that away (objects already there under their names stay as they are); uploading again starts over.</source>
        <translation>
            <numerusform>已有 %n 个上传发送了数据，共 %1。取消会丢弃已发送的数据（存储桶中已有的同名对象保持不变），重新上传须从头开始。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Except what %n append(s) added: that stays, and uploading again goes on after it.</source>
        <translation>
            <numerusform>但其中 %n 个追加上传已追加的数据会留在对象中，重新上传会从其后继续追加。</numerusform>
        </translation>
    </message>
    <message>
        <source>Keep uploading</source>
        <translation>继续上传</translation>
    </message>
    <message>
        <source>None of them has started: nothing sent is lost.</source>
        <translation>这些上传都尚未开始，不会丢失已发送的数据。</translation>
    </message>
</context>
<context>
    <name>TaskDetailsDialog</name>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Local file</source>
        <translation>本地文件</translation>
    </message>
    <message>
        <source>Destination</source>
        <translation>上传位置</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>已上传</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>上传方式</translation>
    </message>
    <message>
        <source>At once</source>
        <translation>并发</translation>
    </message>
    <message>
        <source>Upload ID</source>
        <translation>UploadId</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>加入队列</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>完成时间</translation>
    </message>
    <message>
        <source>ETag</source>
        <translation>ETag</translation>
    </message>
    <message>
        <source>Verified</source>
        <translation>校验结果</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Parts</source>
        <translation>分块</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>System message (as received, not translated):</source>
        <translation>系统消息（原文，未翻译）：</translation>
    </message>
    <message>
        <source>System message</source>
        <translation>系统消息</translation>
    </message>
    <message>
        <source>Copy error details</source>
        <translation>复制错误详情</translation>
    </message>
    <message>
        <source>The task list cannot be read.</source>
        <translation>无法读取任务列表。</translation>
    </message>
    <message>
        <source>This task was removed from the list.</source>
        <translation>此任务已从列表中移除。</translation>
    </message>
    <message>
        <source>Details — %1</source>
        <translation>详情 — %1</translation>
    </message>
    <message>
        <source> — %1, %2 left</source>
        <translation> — %1，剩余 %2</translation>
    </message>
    <message>
        <source>(in memory)</source>
        <translation>（内存数据）</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>not decided yet</source>
        <translation>尚未确定</translation>
    </message>
    <message>
        <source>, parts of %1</source>
        <translation>，每块 %1</translation>
    </message>
    <message>
        <source>%1 (%2 after it was queued)</source>
        <translation>%1（加入队列后 %2）</translation>
    </message>
    <message>
        <source>%1 of %2 parts on the server</source>
        <translation>服务器上已有 %1 / %2 个分块</translation>
    </message>
    <message>
        <source>Code: %1</source>
        <translation>错误码：%1</translation>
    </message>
    <message>
        <source>HTTP status: %1</source>
        <translation>HTTP 状态码：%1</translation>
    </message>
    <message>
        <source>Request ID: %1</source>
        <translation>请求 ID：%1</translation>
    </message>
    <message>
        <source> (automatic)</source>
        <translation>（自动）</translation>
    </message>
    <message>
        <source>Files: %1</source>
        <translation>文件：%1</translation>
    </message>
    <message>
        <source>Parts of this file: %1</source>
        <translation>本文件的分块：%1</translation>
    </message>
    <message>
        <source>Measured: %1</source>
        <translation>实测：%1</translation>
    </message>
</context>
<context>
    <name>TaskNote</name>
    <message>
        <source>interrupted when the program stopped; paused</source>
        <translation>程序停止时被中断；已暂停</translation>
    </message>
    <message>
        <source>the key already exists; skipped</source>
        <translation>对象键已存在；已跳过</translation>
    </message>
    <message>
        <source>the same file is already there; skipped</source>
        <translation>相同的文件已存在；已跳过</translation>
    </message>
    <message>
        <source>the key already existed; uploaded as {key}</source>
        <translation>对象键已存在；已上传为 {key}</translation>
    </message>
    <message>
        <source>the local file changed since the last attempt (size {old} → {new} bytes); started over</source>
        <translation>本地文件自上次尝试后已更改（大小 {old} → {new} 字节）；已重新开始</translation>
    </message>
    <message>
        <source>the local file changed since the last attempt (modification time changed); started over</source>
        <translation>本地文件自上次尝试后已更改（修改时间变化）；已重新开始</translation>
    </message>
    <message>
        <source>the upload options changed since the last attempt; started over</source>
        <translation>上传选项自上次尝试后已更改；已重新开始</translation>
    </message>
    <message>
        <source>the server was missing parts at completion; sending them again</source>
        <translation>完成上传时服务器缺少部分分块；正在重新发送</translation>
    </message>
    <message>
        <source>the server no longer knew this upload: the object at the key was already the complete local file</source>
        <translation>服务器已不再识别此分块上传：该键上的对象已是完整的本地文件</translation>
    </message>
    <message>
        <source>the server no longer knew this upload; started a new upload</source>
        <translation>服务器已不再识别此分块上传；已开始新的上传</translation>
    </message>
    <message>
        <source>uploaded: the pause came after the upload had finished on the server</source>
        <translation>已上传：暂停时服务器上的上传已完成</translation>
    </message>
    <message>
        <source>uploaded: the cancel came after the upload had finished on the server</source>
        <translation>已上传：取消时服务器上的上传已完成</translation>
    </message>
    <message>
        <source>uploaded: the restart came after the upload had finished on the server</source>
        <translation>已上传：重新开始时服务器上的上传已完成</translation>
    </message>
    <message>
        <source>uploaded by another cosdesk process</source>
        <translation>已由另一个 cosdesk 进程上传</translation>
    </message>
    <message>
        <source>canceled in another cosdesk process</source>
        <translation>已在另一个 cosdesk 进程中取消</translation>
    </message>
    <message>
        <source>another cosdesk process (pid {pid}) is uploading this file</source>
        <translation>另一个 cosdesk 进程（pid {pid}）正在上传此文件</translation>
    </message>
    <message>
        <source>another cosdesk process (pid {pid}) is uploading this file; waiting for it</source>
        <translation>另一个 cosdesk 进程（pid {pid}）正在上传此文件；等待其完成</translation>
    </message>
    <message>
        <source>another cosdesk process (pid {pid} on {host}) is uploading this file</source>
        <translation>{host} 上的另一个 cosdesk 进程（pid {pid}）正在上传此文件</translation>
    </message>
    <message>
        <source>another cosdesk process (pid {pid} on {host}) is uploading this file; waiting for it</source>
        <translation>{host} 上的另一个 cosdesk 进程（pid {pid}）正在上传此文件；等待其完成</translation>
    </message>
    <message>
        <source>waiting for the network; retrying in {delay} s</source>
        <translation>正在等待网络；{delay} 秒后重试</translation>
    </message>
    <message>
        <source>waiting for the credential server; retrying in {delay} s</source>
        <translation>正在等待凭证服务器；{delay} 秒后重试</translation>
    </message>
    <message>
        <source>paused: needs the keys of account “{account}”</source>
        <translation>已暂停：需要账号“{account}”的密钥</translation>
    </message>
</context>
<context>
    <name>TaskTableModel</name>
    <message>
        <source>%1 in flight was not confirmed; resuming sends what is missing</source>
        <translation>传输中的 %1 未经服务器确认，继续上传时将补传缺少的部分</translation>
    </message>
    <message>
        <source>%1 sent again after a failed request</source>
        <translation>请求失败后重新发送了 %1</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>对象键</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <source>ETA</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>说明</translation>
    </message>
</context>
<context>
    <name>WalkFindings</name>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message numerus="yes">
        <source>%n link(s) to folders left alone (first: %1).</source>
        <translation>
            <numerusform>%n 个指向文件夹的链接未跟随（第一个：%1）。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>WatchFolderDialog</name>
    <message>
        <source>Watch a folder</source>
        <translation>监视文件夹</translation>
    </message>
    <message>
        <source>New and changed files in the folder are uploaded once they stop changing. Deleting or moving a file there deletes nothing in the bucket.</source>
        <translation>文件夹中的新文件和改动过的文件在不再变化后上传。在文件夹中删除或移走文件不会删除存储桶中的任何对象。</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>The folder to watch</source>
        <translation>要监视的文件夹</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Bucket</source>
        <translation>存储桶</translation>
    </message>
    <message>
        <source>Prefix</source>
        <translation>路径</translation>
    </message>
    <message>
        <source>(the top of the bucket)</source>
        <translation>（存储桶根目录）</translation>
    </message>
    <message>
        <source>Leave out</source>
        <translation>排除</translation>
    </message>
    <message>
        <source>e.g. *.tmp build/ (the folder&apos;s .cosignore applies too)</source>
        <translation>例如 *.tmp build/（文件夹中的 .cosignore 同样生效）</translation>
    </message>
    <message>
        <source>Only</source>
        <translation>仅包含</translation>
    </message>
    <message>
        <source>e.g. *.jpg *.png (empty: every file)</source>
        <translation>例如 *.jpg *.png（留空：所有文件）</translation>
    </message>
    <message>
        <source>Also upload the files already in the folder</source>
        <translation>同时上传文件夹中已有的文件</translation>
    </message>
    <message>
        <source>Only those missing from the destination or different there are uploaded.</source>
        <translation>只上传目标位置缺少或内容不同的文件。</translation>
    </message>
    <message>
        <source>Folder:</source>
        <translation>文件夹：</translation>
    </message>
    <message>
        <source>Account:</source>
        <translation>账号：</translation>
    </message>
    <message>
        <source>Bucket:</source>
        <translation>存储桶：</translation>
    </message>
    <message>
        <source>Prefix:</source>
        <translation>路径：</translation>
    </message>
    <message>
        <source>Leave out:</source>
        <translation>排除：</translation>
    </message>
    <message>
        <source>Only:</source>
        <translation>仅包含：</translation>
    </message>
    <message>
        <source>Watch</source>
        <translation>监视</translation>
    </message>
    <message>
        <source>Choose a folder to watch</source>
        <translation>选择要监视的文件夹</translation>
    </message>
    <message>
        <source>Choose the folder to watch (a full path).</source>
        <translation>请选择要监视的文件夹（完整路径）。</translation>
    </message>
    <message>
        <source>Enter the bucket its files go to.</source>
        <translation>请填写文件要上传到的存储桶。</translation>
    </message>
    <message>
        <source>A pattern cannot be read: %1</source>
        <translation>无法识别的规则：%1</translation>
    </message>
</context>
<context>
    <name>WatchIndicator</name>
    <message numerus="yes">
        <source>%n watched folder(s)</source>
        <translation>
            <numerusform>监视 %n 个文件夹</numerusform>
        </translation>
    </message>
    <message>
        <source>%1, %2 not watched</source>
        <translation>%1，%2 个无法监视</translation>
    </message>
    <message>
        <source>%1, %2 paused</source>
        <translation>%1，%2 个已暂停</translation>
    </message>
    <message>
        <source>Show the watched folders</source>
        <translation>显示监视的文件夹</translation>
    </message>
</context>
<context>
    <name>WatchedFolders</name>
    <message>
        <source>Watching</source>
        <translation>监视中</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>Folder missing</source>
        <translation>文件夹不存在</translation>
    </message>
    <message>
        <source>Cannot watch: %1</source>
        <translation>无法监视：%1</translation>
    </message>
</context>
<context>
    <name>WatchedFoldersDialog</name>
    <message>
        <source>Watched folders</source>
        <translation>监视的文件夹</translation>
    </message>
    <message>
        <source>No folder is watched. Watch one and its new and changed files are uploaded.</source>
        <translation>还没有监视任何文件夹。监视一个文件夹后，其中的新文件和改动过的文件会自动上传。</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Uploads to</source>
        <translation>上传到</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Uploaded</source>
        <translation>已上传</translation>
    </message>
    <message>
        <source>Watch a folder…</source>
        <translation>监视文件夹…</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Stop watching</source>
        <translation>停止监视</translation>
    </message>
    <message>
        <source>Forget this folder; what it uploaded stays in the bucket</source>
        <translation>不再监视此文件夹；已上传的文件仍保留在存储桶中</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Local sandbox</source>
        <translation>本地沙盒</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>cosdesk cannot open its list of uploads.</source>
        <translation>cosdesk 无法打开上传任务列表。</translation>
    </message>
    <message>
        <source>Make sure the folder can be written to. If the file is damaged, move it away: cosdesk then starts with an empty list. To use another file, start cosdesk with --db FILE.</source>
        <translation>请确认该文件夹可写。如果文件已损坏，请将其移走，cosdesk 将以空列表启动。如需使用其他文件，请以 --db FILE 启动 cosdesk。</translation>
    </message>
</context>
<context>
    <name>formatting</name>
    <message>
        <source>Waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <source>Checking</source>
        <translation>校验中</translation>
    </message>
    <message>
        <source>Uploading</source>
        <translation>上传中</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Canceled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Simple upload (one request)</source>
        <translation>简单上传（单次请求）</translation>
    </message>
    <message>
        <source>Multipart upload</source>
        <translation>分块上传</translation>
    </message>
    <message>
        <source>Append upload</source>
        <translation>追加上传</translation>
    </message>
    <message>
        <source>CRC-64 of the whole object matches the file</source>
        <translation>整个对象的 CRC-64 与本地文件一致</translation>
    </message>
    <message>
        <source>MD5 matches (the server sent no CRC-64)</source>
        <translation>MD5 一致（服务器未返回 CRC-64）</translation>
    </message>
    <message>
        <source>Not verified: the server sent no checksum</source>
        <translation>未校验：服务器未返回校验值</translation>
    </message>
    <message>
        <source>Done (not verified)</source>
        <translation>已完成（未校验）</translation>
    </message>
    <message>
        <source>under %1 s</source>
        <translation>不到 %1 秒</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>The SecretKey does not match the SecretId. Check the keys in Settings.</source>
        <translation>SecretKey 与 SecretId 不匹配，请在设置中检查密钥。</translation>
    </message>
    <message>
        <source>The SecretId is unknown to COS. Check the keys in Settings.</source>
        <translation>COS 无法识别该 SecretId，请在设置中检查密钥。</translation>
    </message>
    <message>
        <source>The account is not allowed to write here. Check the keys and the bucket&apos;s permissions.</source>
        <translation>该账号无权写入此处，请检查密钥和存储桶的访问权限。</translation>
    </message>
    <message>
        <source>The credential server does not allow uploads to this destination. Choose a bucket and folder it allows, or ask its administrator.</source>
        <translation>凭证服务器不允许上传到此目标位置。请选择它允许的存储桶和文件夹，或联系其管理员。</translation>
    </message>
    <message>
        <source>The credential server gave no temporary keys. The upload goes on by itself when it answers again.</source>
        <translation>凭证服务器未提供临时密钥。它恢复响应后，上传会自动继续。</translation>
    </message>
    <message>
        <source>The credential server refused to give temporary keys. Check its URL and extra headers in Settings, then retry.</source>
        <translation>凭证服务器拒绝提供临时密钥。请在设置中检查其 URL 和附加请求头，然后重试。</translation>
    </message>
    <message>
        <source>The bucket does not exist. Check its name (name-APPID) and region.</source>
        <translation>存储桶不存在，请检查存储桶名称（名称-APPID）和地域。</translation>
    </message>
    <message>
        <source>There are no keys for this account (or the keyring cannot be read). Add them in Settings, then retry.</source>
        <translation>此账号没有密钥（或无法读取系统密钥环）。请在“设置”中添加密钥，然后重试。</translation>
    </message>
    <message>
        <source>This computer&apos;s clock is too far from the server&apos;s. Correct the clock.</source>
        <translation>本机时间与服务器时间相差过大，请校准系统时间。</translation>
    </message>
    <message>
        <source>The connection to the server failed, or the server stopped answering. Check the network.</source>
        <translation>与服务器的连接失败，或服务器不再应答。请检查网络。</translation>
    </message>
    <message>
        <source>The local file is gone or can no longer be read.</source>
        <translation>本地文件已不存在或无法再读取。</translation>
    </message>
    <message>
        <source>The local file cannot be read.</source>
        <translation>无法读取本地文件。</translation>
    </message>
    <message>
        <source>The file is larger than COS accepts.</source>
        <translation>文件超过了 COS 允许的大小。</translation>
    </message>
    <message>
        <source>The local file changed while it was being uploaded.</source>
        <translation>本地文件在上传过程中被修改。</translation>
    </message>
    <message>
        <source>The object key is not valid for COS.</source>
        <translation>对象键不符合 COS 的要求。</translation>
    </message>
    <message>
        <source>The file is larger than COS accepts for this kind of upload.</source>
        <translation>文件超过了此上传方式允许的大小。</translation>
    </message>
    <message>
        <source>The data arrived damaged (checksum mismatch). Retrying usually helps.</source>
        <translation>数据在传输中损坏（校验值不一致），重试通常可以解决。</translation>
    </message>
    <message>
        <source>COS asked to slow down. Retry in a moment.</source>
        <translation>COS 要求降低请求频率，请稍后重试。</translation>
    </message>
    <message>
        <source>COS is temporarily unavailable. Retry in a moment.</source>
        <translation>COS 暂时不可用，请稍后重试。</translation>
    </message>
    <message>
        <source>COS had an internal error. Retry in a moment.</source>
        <translation>COS 内部错误，请稍后重试。</translation>
    </message>
    <message>
        <source>The server took too long to answer. Retry; the upload resumes where it stopped.</source>
        <translation>服务器响应超时。请重试，上传会从中断处继续。</translation>
    </message>
    <message>
        <source>The multipart upload no longer exists on the server. Retry to start it over.</source>
        <translation>服务器上已不存在该分块上传任务，请重试以重新上传。</translation>
    </message>
    <message>
        <source>The multipart upload could not be completed. Retry in a moment.</source>
        <translation>分块上传未能完成，请稍后重试。</translation>
    </message>
    <message>
        <source>The server stored different data than was sent. Retrying usually helps.</source>
        <translation>服务器保存的数据与发送的不一致，重试通常可以解决。</translation>
    </message>
    <message>
        <source>The request is not valid. Check the bucket, region and endpoint in Settings.</source>
        <translation>请求无效，请在设置中检查存储桶、地域和终端节点。</translation>
    </message>
    <message>
        <source>Waiting for the credential server — retrying in %1</source>
        <translation>正在等待凭证服务器 — %1 后重试</translation>
    </message>
    <message>
        <source>Waiting for the network — retrying in %1</source>
        <translation>正在等待网络恢复 — %1 后重试</translation>
    </message>
    <message>
        <source>No answer from the server for %1</source>
        <translation>服务器无应答（已 %1）</translation>
    </message>
    <message>
        <source>The upload failed (%1).</source>
        <translation>上传失败（%1）。</translation>
    </message>
    <message>
        <source>System message: %1</source>
        <translation>系统消息：%1</translation>
    </message>
</context>
<context>
    <name>languages</name>
    <message>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
</context>
</TS>
