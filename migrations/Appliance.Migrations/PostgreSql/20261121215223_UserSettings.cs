using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Appliance.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class UserSettings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "MailboxSettings",
                columns: table => new
                {
                    MailboxId = table.Column<int>(type: "integer", nullable: false),
                    Signature = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    VacationEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    VacationStartDate = table.Column<DateOnly>(type: "date", nullable: true),
                    VacationEndDate = table.Column<DateOnly>(type: "date", nullable: true),
                    VacationSubject = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    VacationText = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: false),
                    VacationReplyIntervalDays = table.Column<int>(type: "integer", nullable: false),
                    UpdatedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MailboxSettings", x => x.MailboxId);
                    table.ForeignKey(
                        name: "FK_MailboxSettings_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "VacationReplies",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    MailboxId = table.Column<int>(type: "integer", nullable: false),
                    Sender = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    RepliedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_VacationReplies", x => x.Id);
                    table.ForeignKey(
                        name: "FK_VacationReplies_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_VacationReplies_MailboxId_Sender",
                table: "VacationReplies",
                columns: new[] { "MailboxId", "Sender" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MailboxSettings");

            migrationBuilder.DropTable(
                name: "VacationReplies");
        }
    }
}
