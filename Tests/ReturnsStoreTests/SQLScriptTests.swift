import Foundation
import ReturnsStore
import Testing

@Suite("Splitting migration files into statements")
struct SQLScriptTests {
    @Test("semicolons end statements; comments and blank space are dropped")
    func plainStatements() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (id int);
            /* block; comment */ CREATE TABLE b (id int);

            """
        #expect(SQLScript.statements(in: sql) == ["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"])
    }

    @Test("semicolons inside quotes, quoted identifiers and dollar-quoted bodies stay in their statement")
    func quoted() {
        let sql = """
            INSERT INTO t VALUES ('a;b', 'it''s; fine');
            CREATE TABLE "odd;name" (id int);
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'no; way';
            END;
            $$;
            CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
            """
        let statements = SQLScript.statements(in: sql)
        #expect(statements.count == 4)
        #expect(statements[0] == "INSERT INTO t VALUES ('a;b', 'it''s; fine')")
        #expect(statements[1] == "CREATE TABLE \"odd;name\" (id int)")
        #expect(statements[2].hasSuffix("END;\n$$"))
        #expect(statements[3] == "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$")
    }

    @Test("a positional parameter like $1 is not taken for a dollar quote")
    func positional() {
        #expect(SQLScript.statements(in: "SELECT $1; SELECT 2") == ["SELECT $1", "SELECT 2"])
    }

    @Test("the shipped schema splits into whole statements")
    func shippedSchema() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let migrator = try Migrator(directory: root.appendingPathComponent("Schema"))
        #expect(migrator.migrations.first?.file == "001_core.sql")
        for migration in migrator.migrations {
            for statement in SQLScript.statements(in: migration.sql) {
                #expect(!statement.isEmpty)
                #expect(!statement.hasPrefix("--"))
            }
        }
    }
}

