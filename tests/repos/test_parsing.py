"""One realistic snippet per language: symbol names, kinds, 1-based line ranges, parents, imports; plus the cache."""

from __future__ import annotations

import textwrap

import pytest

from wikigym.repos.parsing import ParseCache, ParsedFile, parse_file, parse_path


def parse(code: str, language: str) -> ParsedFile:
    return parse_file(textwrap.dedent(code).lstrip("\n"), language, ParseCache(None))


def table(pf: ParsedFile) -> list[tuple[str, str, int, int, str | None]]:
    return [(s.name, s.kind, s.start_line, s.end_line, s.parent) for s in pf.symbols]


ANY = object()


def find(pf: ParsedFile, name: str, parent: object = ANY):
    matches = [s for s in pf.symbols if s.name == name and (parent is ANY or s.parent == parent)]
    assert len(matches) == 1, (name, table(pf))
    return matches[0]


def test_python():
    pf = parse(
        '''
        """Storage layer."""
        import os, json as j
        from . import models
        from ..core.db import Connection, open_db
        from .cache import *

        CACHE_SIZE = 128


        @dataclass
        class Store(Base):
            """Keeps items."""

            def get(self, key: str) -> bytes:
                """Fetch one."""
                from .codec import decode
                return decode(self._data[key])

            async def close(self):
                pass


        def connect(url: str, *, timeout: float = 1.0) -> Store:
            def helper():
                pass
            return Store()
        ''',
        "python",
    )
    assert table(pf) == [
        ("Store", "class", 10, 20, None),
        ("get", "method", 14, 17, "Store"),
        ("close", "method", 19, 20, "Store"),
        ("connect", "function", 23, 26, None),
    ]
    assert pf.imports == ["os", "json", ".models", "..core.db", ".cache", ".codec"]
    store = find(pf, "Store")
    assert store.docstring == "Keeps items." and store.signature == "class Store(Base)"
    get = find(pf, "get")
    assert get.signature == "def get(self, key: str) -> bytes" and get.docstring == "Fetch one."
    assert {"helper", "CACHE_SIZE", "decode", "timeout", "Connection"} <= pf.identifiers
    assert pf.line_count == 27 and not pf.has_error


def test_typescript():
    pf = parse(
        """
        import { Item, Store } from './types';
        import * as retry from '../retry';
        export { helper } from './helper';
        const fs = require('fs');

        /** HTTP client for the API. */
        export class Client extends Base implements Api {
          private readonly base: string;

          constructor(base: string) {
            super();
            this.base = base;
          }

          async get(id: string): Promise<Item> {
            return retry.withRetry(() => this.fetch(id));
          }

          onError = (error: Error) => console.error(error);
        }

        export interface Api {
          get(id: string): Promise<Item>;
        }

        export type Id = string | number;
        export enum Level { Low, High }

        export function makeClient(base: string): Client {
          return new Client(base);
        }

        export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

        namespace Internal {
          export function debug(): void {}
        }
        const lazy = () => import('./lazy');
        """,
        "typescript",
    )
    assert table(pf) == [
        ("Client", "class", 7, 20, None),
        ("constructor", "method", 10, 13, "Client"),
        ("get", "method", 15, 17, "Client"),
        ("onError", "method", 19, 19, "Client"),
        ("Api", "interface", 22, 24, None),
        ("Id", "type", 26, 26, None),
        ("Level", "enum", 27, 27, None),
        ("makeClient", "function", 29, 31, None),
        ("sleep", "function", 33, 33, None),
        ("Internal", "namespace", 35, 37, None),
        ("debug", "function", 36, 36, "Internal"),
        ("lazy", "function", 38, 38, None),
    ]
    assert pf.imports == ["./types", "../retry", "./helper", "fs", "./lazy"]
    client = find(pf, "Client")
    assert client.docstring == "HTTP client for the API."
    assert client.signature == "export class Client extends Base implements Api"
    assert find(pf, "makeClient").signature == "export function makeClient(base: string): Client"
    assert {"withRetry", "base", "Promise", "setTimeout"} <= pf.identifiers


def test_tsx():
    pf = parse(
        """
        import React, { useState } from 'react';
        import { Button } from './Button';

        type Props = { label: string };

        export function Counter({ label }: Props) {
          const [count, setCount] = useState(0);
          return <Button onClick={() => setCount(count + 1)}>{label}: {count}</Button>;
        }

        export const Badge = ({ label }: Props) => <span className="badge">{label}</span>;
        """,
        "tsx",
    )
    assert table(pf) == [
        ("Props", "type", 4, 4, None),
        ("Counter", "function", 6, 9, None),
        ("Badge", "function", 11, 11, None),
    ]
    assert pf.imports == ["react", "./Button"]
    assert {"useState", "setCount", "Button"} <= pf.identifiers


def test_javascript():
    pf = parse(
        """
        'use strict';
        const express = require('express');
        const { loadConfig } = require('./config');
        import('./plugins/metrics.js');

        /**
         * Build the app.
         */
        function createApp(options) {
          const app = express();
          return app;
        }

        class Router {
          constructor() { this.routes = []; }
          add(path, handler) {
            this.routes.push({ path, handler });
          }
        }

        module.exports = { createApp, Router };
        """,
        "javascript",
    )
    assert table(pf) == [
        ("createApp", "function", 9, 12, None),
        ("Router", "class", 14, 19, None),
        ("constructor", "method", 15, 15, "Router"),
        ("add", "method", 16, 18, "Router"),
    ]
    assert pf.imports == ["express", "./config", "./plugins/metrics.js"]
    assert find(pf, "createApp").docstring == "Build the app."


def test_go():
    pf = parse(
        """
        // Package store keeps items.
        package store

        import (
        	"context"
        	"fmt"

        	"example.com/shop/internal/db"
        )

        // Store wraps the database.
        type Store struct {
        	conn *db.Conn
        }

        type Reader interface {
        	Get(ctx context.Context, id string) (string, error)
        }

        // Get returns one item.
        func (s *Store) Get(ctx context.Context, id string) (string, error) {
        	return fmt.Sprint(id), nil
        }

        func New(conn *db.Conn) *Store {
        	return &Store{conn: conn}
        }
        """,
        "go",
    )
    assert table(pf) == [
        ("store", "package", 2, 2, None),
        ("Store", "struct", 12, 14, None),
        ("Reader", "interface", 16, 18, None),
        ("Get", "method", 21, 23, "Store"),
        ("New", "function", 25, 27, None),
    ]
    assert pf.imports == ["context", "fmt", "example.com/shop/internal/db"]
    assert find(pf, "Store").docstring == "Store wraps the database."
    assert find(pf, "Get").signature == "func (s *Store) Get(ctx context.Context, id string) (string, error)"
    assert {"conn", "Sprint", "Conn"} <= pf.identifiers


def test_java():
    pf = parse(
        """
        package com.shop.store;

        import java.util.List;
        import java.util.Map;
        import com.shop.model.*;
        import static java.util.Objects.requireNonNull;

        /**
         * Keeps items in memory.
         */
        @Repository
        public class ItemStore implements Store {
            private final Map<String, Item> items;

            public ItemStore(Map<String, Item> items) {
                this.items = requireNonNull(items);
            }

            public List<Item> all() {
                return List.copyOf(items.values());
            }

            enum Mode { READ, WRITE }
        }

        interface Store {
            List<Item> all();
        }
        """,
        "java",
    )
    assert table(pf) == [
        ("com.shop.store", "package", 1, 1, None),
        ("ItemStore", "class", 11, 24, None),
        ("ItemStore", "method", 15, 17, "ItemStore"),
        ("all", "method", 19, 21, "ItemStore"),
        ("Mode", "enum", 23, 23, "ItemStore"),
        ("Store", "interface", 26, 28, None),
        ("all", "method", 27, 27, "Store"),
    ]
    assert pf.imports == ["java.util.List", "java.util.Map", "com.shop.model.*", "java.util.Objects.requireNonNull"]
    assert find(pf, "ItemStore", parent=None).docstring == "Keeps items in memory."


def test_rust():
    pf = parse(
        """
        use std::collections::HashMap;
        use crate::model::{Item, Error as ModelError};
        mod cache;

        /// An in-memory store.
        #[derive(Debug, Default)]
        pub struct Store {
            items: HashMap<String, Item>,
        }

        pub trait Repository {
            fn get(&self, id: &str) -> Option<&Item>;
        }

        impl Store {
            /// Create an empty store.
            pub fn new() -> Self {
                Self::default()
            }
        }

        impl Repository for Store {
            fn get(&self, id: &str) -> Option<&Item> {
                self.items.get(id)
            }
        }

        pub enum Event { Added(String), Removed(String) }

        pub fn run() -> Result<(), ModelError> {
            Ok(())
        }
        """,
        "rust",
    )
    assert table(pf) == [
        ("cache", "module", 3, 3, None),
        ("Store", "struct", 7, 9, None),
        ("Repository", "trait", 11, 13, None),
        ("get", "method", 12, 12, "Repository"),
        ("new", "method", 17, 19, "Store"),
        ("get", "method", 23, 25, "Store"),
        ("Event", "enum", 28, 28, None),
        ("run", "function", 30, 32, None),
    ]
    assert pf.imports == ["std::collections::HashMap", "crate::model::Item", "crate::model::Error", "self::cache"]
    assert find(pf, "Store").docstring == "An in-memory store."
    assert find(pf, "new").docstring == "Create an empty store."
    assert {"items", "ModelError", "Added"} <= pf.identifiers


def test_c():
    pf = parse(
        """
        #include <stdio.h>
        #include "store.h"

        #ifndef MAX_ITEMS
        #define MAX_ITEMS 64
        #endif

        /* One stored item. */
        struct item {
            int id;
            char name[32];
        };

        typedef struct item item_t;

        int store_add(item_t *item);

        /* Add an item; returns its slot. */
        int store_add(item_t *item) {
            return item->id % MAX_ITEMS;
        }

        static const char *store_name(const item_t *item) {
            return item->name;
        }
        """,
        "c",
    )
    assert table(pf) == [
        ("item", "struct", 9, 12, None),
        ("item_t", "type", 14, 14, None),
        ("store_add", "function", 19, 21, None),
        ("store_name", "function", 23, 25, None),
    ]
    assert pf.imports == ["stdio.h", "store.h"]
    assert find(pf, "store_add").docstring == "Add an item; returns its slot."
    assert find(pf, "store_name").signature == "static const char *store_name(const item_t *item)"


def test_cpp():
    pf = parse(
        """
        #include <vector>
        #include "inventory/item.hpp"

        namespace inventory {

        /// Holds items.
        class Store : public Base {
         public:
          Store();
          int size() const { return static_cast<int>(items_.size()); }
          void add(const Item& item);

         private:
          std::vector<Item> items_;
        };

        Store::Store() : items_() {}

        void Store::add(const Item& item) {
          items_.push_back(item);
        }

        template <typename T>
        T clamp(T value, T low, T high) {
          return value < low ? low : (value > high ? high : value);
        }

        }  // namespace inventory
        """,
        "cpp",
    )
    assert table(pf) == [
        ("inventory", "namespace", 4, 28, None),
        ("Store", "class", 7, 15, "inventory"),
        ("Store", "method", 9, 9, "Store"),
        ("size", "method", 10, 10, "Store"),
        ("add", "method", 11, 11, "Store"),
        ("Store", "method", 17, 17, "Store"),
        ("add", "method", 19, 21, "Store"),
        ("clamp", "function", 23, 26, "inventory"),
    ]
    assert pf.imports == ["vector", "inventory/item.hpp"]
    assert find(pf, "Store", parent="inventory").docstring == "Holds items."


def test_csharp():
    pf = parse(
        """
        using System;
        using System.Collections.Generic;
        using Shop.Models;

        namespace Shop.Services
        {
            /// <summary>Keeps items.</summary>
            public class ItemService : IItemService
            {
                private readonly Dictionary<string, Item> _items = new();

                public ItemService() { }

                public Item Find(string sku)
                {
                    return _items[sku];
                }
            }

            public interface IItemService
            {
                Item Find(string sku);
            }

            public enum Level { Low, High }
        }
        """,
        "csharp",
    )
    assert table(pf) == [
        ("Shop.Services", "namespace", 5, 26, None),
        ("ItemService", "class", 8, 18, "Shop.Services"),
        ("ItemService", "method", 12, 12, "ItemService"),
        ("Find", "method", 14, 17, "ItemService"),
        ("IItemService", "interface", 20, 23, "Shop.Services"),
        ("Find", "method", 22, 22, "IItemService"),
        ("Level", "enum", 25, 25, "Shop.Services"),
    ]
    assert pf.imports == ["System", "System.Collections.Generic", "Shop.Models"]
    assert "Keeps items." in (find(pf, "ItemService", parent="Shop.Services").docstring or "")


def test_kotlin():
    pf = parse(
        """
        package com.shop.store

        import com.shop.model.Item
        import kotlinx.coroutines.*

        /** Keeps items. */
        class ItemStore(private val db: Database) : Store {
            fun count(): Int {
                return db.size()
            }

            companion object {
                fun create(): ItemStore {
                    return ItemStore(Database())
                }
            }
        }

        interface Store {
            fun count(): Int
        }

        enum class Level {
            LOW,
            HIGH
        }

        fun main() {
            println(ItemStore.create().count())
        }
        """,
        "kotlin",
    )
    assert table(pf) == [
        ("com.shop.store", "package", 1, 1, None),
        ("ItemStore", "class", 7, 17, None),
        ("count", "method", 8, 10, "ItemStore"),
        ("create", "method", 13, 15, "ItemStore"),
        ("Store", "interface", 19, 21, None),
        ("count", "method", 20, 20, "Store"),
        ("Level", "enum", 23, 26, None),
        ("main", "function", 28, 30, None),
    ]
    assert pf.imports == ["com.shop.model.Item", "kotlinx.coroutines.*"]
    assert find(pf, "ItemStore").docstring == "Keeps items."


def test_ruby():
    pf = parse(
        """
        require 'json'
        require_relative 'models/item'

        # Inventory namespace.
        module Inventory
          # Keeps items.
          class Store < Base
            attr_reader :items

            def initialize(path)
              @path = path
              @items = {}
            end

            def self.open(path)
              new(path)
            end
          end
        end

        def helper(value)
          value.to_s
        end
        """,
        "ruby",
    )
    assert table(pf) == [
        ("Inventory", "module", 5, 19, None),
        ("Store", "class", 7, 18, "Inventory"),
        ("initialize", "method", 10, 13, "Store"),
        ("open", "method", 15, 17, "Store"),
        ("helper", "function", 21, 23, None),
    ]
    assert pf.imports == ["json", "./models/item"]
    assert find(pf, "Store").docstring == "Keeps items."
    assert {"items", "Inventory", "to_s"} <= pf.identifiers


def test_php():
    pf = parse(
        """
        <?php
        namespace App\\Services;

        use App\\Models\\Item;
        use App\\Contracts\\{Repository, Cache};

        require_once __DIR__ . '/helpers.php';

        /** Keeps items. */
        final class ItemService implements Repository
        {
            public function __construct(private Cache $cache) {}

            public function find(string $sku): ?Item
            {
                return $this->cache->get($sku);
            }
        }

        function format_sku(string $sku): string
        {
            return strtoupper($sku);
        }
        """,
        "php",
    )
    assert table(pf) == [
        ("App\\Services", "namespace", 2, 2, None),
        ("ItemService", "class", 10, 18, None),
        ("__construct", "method", 12, 12, "ItemService"),
        ("find", "method", 14, 17, "ItemService"),
        ("format_sku", "function", 20, 23, None),
    ]
    assert pf.imports == ["App\\Models\\Item", "App\\Contracts\\Repository", "App\\Contracts\\Cache", "./helpers.php"]
    assert find(pf, "ItemService").docstring == "Keeps items."


def test_cobol():
    # Fixed format: columns 1-6 sequence area, column 7 indicator (`*` = comment), code from column 8.
    area_a = [
        "IDENTIFICATION DIVISION.",
        "PROGRAM-ID. STOCKRPT.",
        "DATA DIVISION.",
        "WORKING-STORAGE SECTION.",
        "COPY ITEMREC.",
        "01 WS-TOTAL PIC 9(6) VALUE 0.",
        "01 WS-LINE.",
        "   05 WS-SKU PIC X(8).",
        "PROCEDURE DIVISION.",
        "MAIN-PARA.",
        "    PERFORM SUM-ITEMS",
        "    CALL 'PRINTER' USING WS-LINE",
        "    STOP RUN.",
        "* Totals every item.",
        "TOTALS SECTION.",
        "SUM-ITEMS.",
        "    ADD 1 TO WS-TOTAL.",
        "SHOW-TOTAL.",
        "    DISPLAY WS-TOTAL.",
        "END PROGRAM STOCKRPT.",
    ]
    code = "".join(("      " + line if line.startswith("*") else "       " + line) + "\n" for line in area_a)
    pf = parse_file(code, "cobol", ParseCache(None))
    assert table(pf) == [
        ("STOCKRPT", "program", 1, 20, None),
        ("WS-TOTAL", "data", 6, 6, "STOCKRPT"),
        ("WS-LINE", "data", 7, 7, "STOCKRPT"),
        ("MAIN-PARA", "paragraph", 10, 14, "STOCKRPT"),
        ("TOTALS", "section", 15, 19, "STOCKRPT"),
        ("SUM-ITEMS", "paragraph", 16, 17, "TOTALS"),
        ("SHOW-TOTAL", "paragraph", 18, 19, "TOTALS"),
    ]
    assert pf.imports == ["ITEMREC", "PRINTER"]
    assert find(pf, "TOTALS").docstring == "Totals every item."
    assert {"WS-SKU", "WS-TOTAL", "SUM-ITEMS"} <= pf.identifiers


def test_markdown_sections_and_data_keys():
    md = parse("# Inventory\n\nIntro.\n\n## Getting started\n\nRun it.\n", "markdown")
    assert table(md) == [("Inventory", "section", 1, 7, None), ("Getting started", "section", 5, 7, "Inventory")]
    yaml_keys = parse("server:\n  port: 8080\n  retry_limit: 3\n'quoted key': 1\n", "yaml").identifiers
    assert yaml_keys == {"server", "port", "retry_limit", "quoted key"}
    assert parse('{"name": "sdk", "scripts": {"build": "tsc"}}', "json").identifiers == {"name", "scripts", "build"}


def test_lines_follow_split_newline():
    assert parse_file("a\nb\n", "python", ParseCache(None)).line_count == 3
    assert parse_file("a\r\nb", "python", ParseCache(None)).line_count == 2


def test_unsupported_language_is_one_clear_error():
    with pytest.raises(ValueError, match="language 'brainfuck' is not supported"):
        parse_file("+", "brainfuck")


def test_parse_path_by_extension(tmp_path):
    (tmp_path / "notes.txt").write_text("def f(): pass\n")
    (tmp_path / "mod.py").write_text("def f():\n    pass\n")
    (tmp_path / "store.h").write_text("namespace shop {\nclass Store {};\n}\n")
    assert parse_path(tmp_path / "notes.txt") is None
    assert parse_path(tmp_path / "missing.py") is None
    assert [s.name for s in parse_path(tmp_path / "mod.py").symbols] == ["f"]
    header = parse_path(tmp_path / "store.h")
    assert header.language == "cpp" and [s.name for s in header.symbols] == ["shop", "Store"]


def test_cache_memory_and_disk(tmp_path):
    code = "class A:\n    def f(self):\n        return 1\n"
    cache = ParseCache(tmp_path / "parse")
    first = cache.get_or_parse(code, "python")
    assert (cache.misses, cache.hits) == (1, 0)
    assert cache.get_or_parse(code, "python") is first and cache.hits == 1
    assert len(list((tmp_path / "parse").rglob("*.json"))) == 1

    fresh = ParseCache(tmp_path / "parse")  # a new process: memory empty, disk warm
    again = fresh.get_or_parse(code, "python")
    assert (fresh.disk_hits, fresh.misses) == (1, 0)
    assert again == first
    # Different content or language is a different entry.
    fresh.get_or_parse(code + "\n", "python")
    assert fresh.misses == 1


def test_default_cache_lives_under_wikigym_cache(isolated_cache):
    parse_file("x = 1\n", "python")
    assert list((isolated_cache / "parse").rglob("*.json"))


def test_corrupt_disk_entry_is_reparsed(tmp_path):
    cache = ParseCache(tmp_path)
    cache.get_or_parse("x = 1\n", "python")
    entry = next(tmp_path.rglob("*.json"))
    entry.write_text("{not json")
    fresh = ParseCache(tmp_path)
    assert fresh.get_or_parse("x = 1\n", "python").identifiers == {"x"}
    assert fresh.misses == 1


_GNUCOBOL_MAIN = """\
       IDENTIFICATION DIVISION.
       PROGRAM-ID. BATCHMAIN.
      *> Nightly batch driver.
       ENVIRONMENT DIVISION.
       INPUT-OUTPUT SECTION.
       FILE-CONTROL.
           SELECT TXN-FILE ASSIGN TO 'TXNIN'
               ORGANIZATION IS LINE SEQUENTIAL.
       DATA DIVISION.
       FILE SECTION.
       FD  TXN-FILE.
       COPY TXNREC.
       WORKING-STORAGE SECTION.
       01  WS-EOF                  PIC X VALUE 'N'.
           88  END-OF-FILE         VALUE 'Y'.
       78  MAX-ERRORS              VALUE 10.
       LINKAGE SECTION.
       COPY "totals.cpy".
       PROCEDURE DIVISION.
       MAIN-PROCEDURE.
           ACCEPT WS-EOF FROM ENVIRONMENT 'SKIP_ALL'
           PERFORM READ-NEXT
           PERFORM UNTIL END-OF-FILE
               CALL 'VALIDATE' USING TXN-RECORD
               PERFORM READ-NEXT
           END-PERFORM
           STOP RUN.

      *> Reads one record.
       READ-NEXT.
           READ TXN-FILE
               AT END SET END-OF-FILE TO TRUE
           END-READ.
       FINISH-RUN.
           CALL "REPORTER"  *> prints the totals
           GOBACK.
"""


def test_cobol_dialects_the_grammar_rejects_still_give_every_paragraph_and_import():
    """GnuCOBOL's LINE SEQUENTIAL, ACCEPT ... FROM ENVIRONMENT, an FD or LINKAGE record from a COPY: the grammar's
    error node swallowed the rest of the procedure division (paragraphs, CALLs) on real GnuCOBOL code."""
    pf = parse_file(_GNUCOBOL_MAIN, "cobol", ParseCache(None))
    assert pf.has_error
    assert table(pf) == [
        ("BATCHMAIN", "program", 1, 36, None),
        ("WS-EOF", "data", 14, 15, "BATCHMAIN"),
        ("MAX-ERRORS", "constant", 16, 16, "BATCHMAIN"),
        ("MAIN-PROCEDURE", "paragraph", 20, 27, "BATCHMAIN"),
        ("READ-NEXT", "paragraph", 30, 33, "BATCHMAIN"),
        ("FINISH-RUN", "paragraph", 34, 36, "BATCHMAIN"),
    ]
    assert pf.imports == ["TXNREC", "totals.cpy", "VALIDATE", "REPORTER"]
    assert find(pf, "BATCHMAIN").docstring == "Nightly batch driver."
    assert find(pf, "READ-NEXT").docstring == "Reads one record."


def test_cobol_copybook_fragments_give_their_records():
    book = ("      *> Account master record.\n       01  ACCT-RECORD.\n           05  ACCT-ID   PIC X(10).\n"
            "           05  ACCT-BAL  PIC S9(11)V99.\n\n       01  ACCT-KEY  PIC X(10).\n")
    pf = parse_file(book, "cobol", ParseCache(None))
    assert table(pf) == [("ACCT-RECORD", "data", 2, 4, None), ("ACCT-KEY", "data", 6, 6, None)]
    assert find(pf, "ACCT-RECORD").docstring == "Account master record."


def test_cobol_outline_agrees_with_the_grammar_on_clean_code():
    """On code the grammar parses, the line outline finds the same programs, paragraphs and sections."""
    from wikigym.repos.cobol import cobol_outline_text

    area_a = ["IDENTIFICATION DIVISION.", "PROGRAM-ID. STOCKRPT.", "DATA DIVISION.", "WORKING-STORAGE SECTION.",
              "01 WS-TOTAL PIC 9(6) VALUE 0.", "PROCEDURE DIVISION.", "MAIN-PARA.", "    PERFORM SUM-ITEMS",
              "    CALL 'PRINTER'", "    STOP RUN.", "TOTALS SECTION.", "SUM-ITEMS.", "    ADD 1 TO WS-TOTAL.",
              "SHOW-TOTAL.", "    DISPLAY WS-TOTAL.", "END PROGRAM STOCKRPT."]
    code = "".join("       " + line + "\n" for line in area_a)
    pf = parse_file(code, "cobol", ParseCache(None))
    assert not pf.has_error
    syms, imports = cobol_outline_text(code)
    assert [(s.name, s.kind, s.start_line, s.end_line, s.parent) for s in syms] == table(pf)
    assert imports == pf.imports


def test_commonjs_assignments_are_definitions():
    """express defines its API as `app.use = function use(fn) {...}`: lib/application.js had 2 symbols (two private
    helpers) and none of its 20 methods."""
    code = (
        "var app = exports = module.exports = {};\n"
        "/** Initialize the server. */\n"
        "app.init = function init() {\n  this.cache = {};\n};\n"
        "exports.helper = function (x) { return x; };\n"
        "function Router() {}\n"
        "Router.prototype.route = function route(p) {\n  return p;\n};\n"
        "module.exports = function createApp() { return app; };\n"
        "module.exports.extra = () => 1;\n"
        "obj.prop.deep = function () {};\n"
        "app.name = 'x';\n"
    )
    pf = parse_file(code, "javascript", ParseCache(None))
    assert table(pf) == [
        ("init", "function", 3, 5, None),
        ("helper", "function", 6, 6, None),
        ("Router", "function", 7, 7, None),
        ("route", "method", 8, 10, "Router"),
        ("createApp", "function", 11, 11, None),
        ("extra", "function", 12, 12, None),
    ]
    assert find(pf, "init").docstring == "Initialize the server."
