"""Import resolution rules per language, on small repositories written in tmp_path."""

from __future__ import annotations

from tests.repos.conftest import write_files
from wikigym.repos import open_repo


def graph_of(tmp_path, files: dict[str, str]) -> dict[str, set[str]]:
    write_files(tmp_path, files)
    return open_repo(tmp_path).import_graph()


def test_python_relative_absolute_and_src_layout(tmp_path):
    graph = graph_of(
        tmp_path,
        {
            "src/shop/__init__.py": "from . import models\n",
            "src/shop/models.py": "import json\n",
            "src/shop/db/__init__.py": "",
            "src/shop/db/engine.py": "from ..models import Item\nfrom . import pool\n",
            "src/shop/db/pool.py": "",
            "src/shop/api.py": "import shop.db.engine\nfrom shop.models import Item\nfrom shop import db\n",
            "src/shop/cli.py": "from shop import models, VERSION\n",
            "tests/test_api.py": "from shop.api import app\nimport os\n",
            "scripts/tool.py": "import helpers\n",
            "scripts/helpers.py": "",
        },
    )
    assert graph["src/shop/__init__.py"] == {"src/shop/models.py"}
    assert graph["src/shop/models.py"] == set()  # json is the standard library
    assert graph["src/shop/db/engine.py"] == {"src/shop/models.py", "src/shop/db/pool.py"}
    assert graph["src/shop/api.py"] == {"src/shop/db/engine.py", "src/shop/models.py", "src/shop/db/__init__.py"}
    assert graph["src/shop/cli.py"] == {"src/shop/models.py", "src/shop/__init__.py"}  # VERSION lives in __init__
    assert graph["tests/test_api.py"] == {"src/shop/api.py"}
    assert graph["scripts/tool.py"] == {"scripts/helpers.py"}


def test_typescript_extensions_index_and_js_twins(tmp_path):
    graph = graph_of(
        tmp_path,
        {
            "src/index.ts": "export * from './client';\nimport { x } from './utils';\nimport y from 'lodash';\n",
            "src/client.ts": "import { T } from './types.js';\nconst cfg = require('../config.json');\n",
            "src/types.ts": "export type T = string;\n",
            "src/utils/index.ts": "export const x = 1;\n",
            "config.json": "{}",
            "web/app.jsx": "import { index } from '../src';\n",
        },
    )
    assert graph["src/index.ts"] == {"src/client.ts", "src/utils/index.ts"}
    assert graph["src/client.ts"] == {"src/types.ts", "config.json"}
    assert graph["web/app.jsx"] == {"src/index.ts"}


def test_go_module_packages(tmp_path):
    graph = graph_of(
        tmp_path,
        {
            "svc/go.mod": "module example.com/svc\n\ngo 1.22\n",
            "svc/main.go": 'package main\n\nimport (\n\t"fmt"\n\t"example.com/svc/store"\n)\n',
            "svc/store/store.go": "package store\n",
            "svc/store/cache.go": "package store\n",
            "svc/store/store_test.go": "package store\n",
        },
    )
    assert graph["svc/main.go"] == {"svc/store/store.go", "svc/store/cache.go"}


def test_java_and_kotlin(tmp_path):
    graph = graph_of(
        tmp_path,
        {
            "src/main/java/com/shop/App.java": (
                "package com.shop;\nimport com.shop.model.Item;\nimport com.shop.util.*;\n"
                "import static com.shop.model.Item.of;\nimport java.util.List;\nclass App {}\n"
            ),
            "src/main/java/com/shop/model/Item.java": "package com.shop.model;\npublic class Item {}\n",
            "src/main/java/com/shop/util/Strings.java": "package com.shop.util;\nclass Strings {}\n",
            "src/main/kotlin/com/shop/Main.kt": "package com.shop\nimport com.shop.model.Item\nfun main() {}\n",
        },
    )
    assert graph["src/main/java/com/shop/App.java"] == {
        "src/main/java/com/shop/model/Item.java",
        "src/main/java/com/shop/util/Strings.java",
    }
    assert graph["src/main/kotlin/com/shop/Main.kt"] == {"src/main/java/com/shop/model/Item.java"}


def test_rust_crate_self_and_mod(tmp_path):
    graph = graph_of(
        tmp_path,
        {
            "src/lib.rs": "mod store;\nmod net;\nuse crate::store::Store;\n",
            "src/store.rs": "mod cache;\nuse self::cache::Lru;\nuse super::net::{Client, Server};\n",
            "src/store/cache.rs": "pub struct Lru;\n",
            "src/net/mod.rs": "use std::io;\n",
        },
    )
    assert graph["src/lib.rs"] == {"src/store.rs", "src/net/mod.rs"}
    assert graph["src/store.rs"] == {"src/store/cache.rs", "src/net/mod.rs"}
    assert graph["src/net/mod.rs"] == set()


def test_c_includes_csharp_namespaces_ruby_php_cobol(tmp_path):
    graph = graph_of(
        tmp_path,
        {
            "src/main.c": '#include <stdio.h>\n#include "store.h"\n#include "net/http.h"\n',
            "src/store.h": "int f(void);\n",
            "include/net/http.h": "int g(void);\n",
            "Services/ItemService.cs": "using Shop.Models;\nusing System;\nnamespace Shop.Services { class S {} }\n",
            "Models/Item.cs": "namespace Shop.Models { public class Item {} }\n",
            "lib/shop.rb": "require 'json'\nrequire 'shop/store'\nrequire_relative 'helpers'\n",
            "lib/shop/store.rb": "class Store; end\n",
            "lib/helpers.rb": "def h; end\n",
            "app/Http/Controller.php": "<?php\nnamespace App\\Http;\nuse App\\Models\\User;\nrequire __DIR__ . '/routes.php';\n",
            "app/Http/routes.php": "<?php\n",
            "app/Models/User.php": "<?php\nnamespace App\\Models;\nclass User {}\n",
            "cobol/RPT.cbl": (
                "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. RPT.\n       DATA DIVISION.\n"
                "       WORKING-STORAGE SECTION.\n       COPY ITEMREC.\n       PROCEDURE DIVISION.\n"
                "       MAIN-PARA.\n           CALL 'PRICER'.\n           STOP RUN.\n"
            ),
            "copybooks/itemrec.cpy": "       01 ITEM-REC PIC X(10).\n",
            "cobol/PRICER.cbl": "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. PRICER.\n",
        },
    )
    assert graph["src/main.c"] == {"src/store.h", "include/net/http.h"}
    assert graph["Services/ItemService.cs"] == {"Models/Item.cs"}
    assert graph["lib/shop.rb"] == {"lib/shop/store.rb", "lib/helpers.rb"}
    assert graph["app/Http/Controller.php"] == {"app/Models/User.php", "app/Http/routes.php"}
    assert graph["cobol/RPT.cbl"] == {"copybooks/itemrec.cpy", "cobol/PRICER.cbl"}


def test_central_modules_prefer_imported_files(tmp_path):
    files = {f"pkg/m{i}.py": "from pkg import core\n" for i in range(5)}
    files.update({"pkg/__init__.py": "", "pkg/core.py": "X = 1\n", "tests/test_core.py": "from pkg import core\n"})
    write_files(tmp_path, files)
    snap = open_repo(tmp_path)
    assert snap.import_graph()["pkg/m0.py"] == {"pkg/core.py"}  # `from pkg import core`: the submodule
    assert snap.central_modules(1) == ["pkg/core.py"]
    assert snap.central_modules(0) == []


def test_cobol_quoted_copy_file_names_and_calls_after_grammar_errors(tmp_path):
    """`COPY "xfhfcd3.cpy"` names a file (its stem is the copybook): it resolved to nothing, and a CALL after a
    dialect feature the grammar rejects (LINE SEQUENTIAL, ACCEPT ... FROM ENVIRONMENT) was lost."""
    graph = graph_of(
        tmp_path,
        {
            "copy/xfhfcd.cpy": '           copy "xfhfcd3.cpy".\n',
            "copy/xfhfcd3.cpy": "       01  FCD3.\n           05  FCD-STATUS PIC X(2).\n",
            "src/MAIN.cbl": (
                "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. MAIN.\n       ENVIRONMENT DIVISION.\n"
                "       INPUT-OUTPUT SECTION.\n       FILE-CONTROL.\n           SELECT F ASSIGN TO 'IN'\n"
                "               ORGANIZATION IS LINE SEQUENTIAL.\n       DATA DIVISION.\n"
                "       WORKING-STORAGE SECTION.\n       01  A PIC X.\n       PROCEDURE DIVISION.\n"
                "       MAIN-PARA.\n           ACCEPT A FROM ENVIRONMENT 'X'\n           CALL 'SUBPROG'\n"
                "           STOP RUN.\n"
            ),
            "src/SUBPROG.cbl": "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. SUBPROG.\n",
        },
    )
    assert graph["copy/xfhfcd.cpy"] == {"copy/xfhfcd3.cpy"}
    assert graph["src/MAIN.cbl"] == {"src/SUBPROG.cbl"}
